// The homeserver's one request pipeline: OPTIONS preflight, route lookup,
// body size limit, access token check, handler, and the response (errors
// included) through respond.ts.
import { missingToken, tooLarge, unknownToken } from '../errors.ts';
import type { Logger } from '../ports.ts';
import { accessTokenOf } from './access-token.ts';
import { DEFAULT_MAX_BODY_BYTES } from './json-body.ts';
import { errorResponse, preflightResponse, resultResponse } from './respond.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { Caller, Route } from './route.ts';
import { collectBody, declaredLength } from './streamed-body.ts';
import { RouteTable } from './route-table.ts';
import type { HsRequest, HsResponse } from './types.ts';

export interface RouterDeps {
  readonly routes: readonly Route[];
  /** Counts requests of rate-limited routes (Route.rateLimit). */
  readonly rateLimiter: RateLimiter;
  /** The caller an access token belongs to, or undefined for an unknown or logged-out token. */
  readonly authenticate: (accessToken: string) => Promise<Caller | undefined>;
  readonly logger: Logger;
}

export type RequestHandler = (req: HsRequest) => Promise<HsResponse>;

export function createRouter(deps: RouterDeps): RequestHandler {
  const table = new RouteTable(deps.routes);
  return async (req) => {
    // Spec: "Web Browser Clients": no endpoint logic runs for OPTIONS.
    if (req.method === 'OPTIONS') return preflightResponse();
    try {
      const { route, params } = table.match(req.method, req.path);
      // A streaming route (a media upload) enforces its own limit as the body arrives.
      const limit =
        route.maxBodyBytes ?? (route.streamBody ? Number.POSITIVE_INFINITY : DEFAULT_MAX_BODY_BYTES);
      const size = req.body?.length ?? declaredLength(req);
      if (size !== undefined && size > limit) throw tooLarge(`Request body is larger than ${limit} bytes`);
      const caller = await resolveCaller(route, req, deps.authenticate);
      // Limits apply to what comes through an adapter (HTTP, a page's port, the popup), which names its client.
      if (route.rateLimit && req.client !== undefined)
        deps.rateLimiter.take(route.rateLimit, limitKeys(req.client, req.clientIsParty, caller));
      const whole = await wholeBody(route, req, limit);
      const result = await route.handler(caller ? { req: whole, params, caller } : { req: whole, params });
      return resultResponse(result);
    } catch (err) {
      return errorResponse(err, deps.logger, req);
    }
  };
}

/** The buckets a request counts against: its user, its client when anonymous or a party (HsRequest.clientIsParty). */
function limitKeys(client: string, isParty: boolean | undefined, caller: Caller | undefined): string[] {
  if (!caller) return [client];
  return isParty ? [`user:${caller.userId}`, client] : [`user:${caller.userId}`];
}

/** The request with its body read whole, unless the route streams it or the adapter already did. */
async function wholeBody(route: Route, req: HsRequest, limit: number): Promise<HsRequest> {
  if (route.streamBody || req.bodyStream === undefined || req.body !== undefined) return req;
  const { bodyStream, ...rest } = req;
  const body = await collectBody(bodyStream, limit);
  return body === undefined ? rest : { ...rest, body };
}

/**
 * 'required': no token is 401 M_MISSING_TOKEN. 'required' and 'optional': a
 * token that names no session is 401 M_UNKNOWN_TOKEN (soft_logout false, as
 * tokens here never expire). 'none': tokens are ignored.
 */
async function resolveCaller(
  route: Route,
  req: HsRequest,
  authenticate: RouterDeps['authenticate'],
): Promise<Caller | undefined> {
  if (route.auth === 'none') return undefined;
  const token = accessTokenOf(req);
  if (token === undefined) {
    if (route.auth === 'required') throw missingToken();
    return undefined;
  }
  const caller = await authenticate(token);
  if (!caller) throw unknownToken();
  return caller;
}
