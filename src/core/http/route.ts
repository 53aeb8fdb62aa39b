// A route of the homeserver's one route table. Modules export factories
// (`accountRoutes(deps)`, `roomRoutes(deps)`, ...) returning these; the
// homeserver composes them and the router matches requests against them.
import type { RateLimitClass } from './rate-limit.ts';
import type { HsRequest } from './types.ts';

export type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';

/** The authenticated caller, resolved from the access token before the handler runs. */
export interface Caller {
  readonly userId: string;
  readonly deviceId: string;
  readonly accessToken: string;
}

export interface RequestContext {
  readonly req: HsRequest;
  /** Path parameters, already URI-decoded, named as in the pattern (`{roomId}` → params.roomId). */
  readonly params: Readonly<Record<string, string>>;
  /** Present when the route's auth is 'required', or 'optional' and a valid token was sent. */
  readonly caller?: Caller;
}

/** What a handler returns: a JSON body with status 200 unless it says otherwise (or bytes, or a stream). */
export interface HandlerResult {
  readonly status?: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

export interface Route {
  readonly method: Method;
  /** Path pattern with `{name}` segments, e.g. `/_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}`. */
  readonly path: string;
  readonly auth: 'required' | 'optional' | 'none';
  /** Largest request body accepted, in bytes (default DEFAULT_MAX_BODY_BYTES in json-body.ts); larger is 413 M_TOO_LARGE. */
  readonly maxBodyBytes?: number;
  /**
   * The handler reads the body itself, as it arrives (`requestChunks(ctx.req)`,
   * streamed-body.ts), and enforces its own limit; the router only refuses a
   * declared Content-Length above `maxBodyBytes` when one is set.
   */
  readonly streamBody?: boolean;
  /** The rate limit this route counts against (rate-limit.ts); unlimited without one. */
  readonly rateLimit?: RateLimitClass;
  readonly handler: (ctx: RequestContext) => Promise<HandlerResult>;
}
