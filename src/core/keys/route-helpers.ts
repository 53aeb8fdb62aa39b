// Small pieces every keys route uses.
import type { Caller, RequestContext } from '../http/route.ts';

export const V3 = '/_matrix/client/v3';

/** The caller of a route declared with auth 'required' (the router guarantees one). */
export function callerOf(ctx: RequestContext): Caller {
  if (!ctx.caller) throw new Error('route declared auth required but ran without a caller');
  return ctx.caller;
}
