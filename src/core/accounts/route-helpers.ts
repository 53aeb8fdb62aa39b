// Small pieces every accounts route uses.
import { forbidden } from '../errors.ts';
import type { Caller, RequestContext } from '../http/route.ts';

export const V3 = '/_matrix/client/v3';

/** The caller of a route declared with auth 'required' (the router guarantees one). */
export function callerOf(ctx: RequestContext): Caller {
  if (!ctx.caller) throw new Error('route declared auth required but ran without a caller');
  return ctx.caller;
}

/** 403 M_FORBIDDEN unless the caller is `userId` (other users' settings are off limits). */
export function requireSelf(ctx: RequestContext, userId: string, what: string): Caller {
  const caller = callerOf(ctx);
  if (caller.userId !== userId) throw forbidden(`Cannot ${what} for other users`);
  return caller;
}

/** A path parameter; the router always sets the ones its pattern names. */
export function param(ctx: RequestContext, name: string): string {
  const value = ctx.params[name];
  if (value === undefined) throw new Error(`route has no {${name}} parameter`);
  return value;
}
