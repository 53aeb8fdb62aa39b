// Server-Server endpoints as a table of routes, so parts of the federation
// code that live apart each contribute their endpoints to the one handler on
// `transport.onRequest`: room federation (federation.ts, routes/) and the
// network directory (directory/federation-routes.ts, passed to
// createFederation as `extraRoutes`).
import { MatrixError } from '../errors.ts';
import type { JsonObject } from '../protocol/types.ts';
import { errorResponse } from './inbound.ts';
import type { FederationHandler, FederationRequest, FederationResponse } from './transport.ts';

export interface FederationRouteContext {
  /** The requesting server, authenticated by the transport (equals `req.origin`). */
  readonly origin: string;
  readonly req: FederationRequest;
  /** Path parameters, percent-decoded, named as in the pattern. */
  readonly params: Readonly<Record<string, string>>;
}

export interface FederationRoute {
  readonly method: 'GET' | 'PUT' | 'POST';
  /** Path pattern with `{name}` segments, e.g. `/_matrix/federation/v1/state_ids/{roomId}`. */
  readonly path: string;
  /** Answers the request; throws MatrixError for the spec's error responses. */
  readonly handler: (ctx: FederationRouteContext) => Promise<FederationResponse>;
}

/** A 200 response with a JSON body. */
export function ok(body: JsonObject): FederationResponse {
  return { status: 200, body };
}

interface Compiled {
  readonly route: FederationRoute;
  readonly segments: readonly string[];
}

/**
 * One handler over `routes`: unknown paths are 404 M_UNRECOGNIZED, a known
 * path with another method 405 M_UNRECOGNIZED (spec: "Unsupported
 * endpoints"), a thrown MatrixError its own response. Anything else thrown
 * propagates, and the transport's inbound gate answers a bare 500.
 */
export function federationRouter(routes: readonly FederationRoute[]): FederationHandler {
  const compiled: Compiled[] = routes.map((route) => ({ route, segments: route.path.split('/') }));
  return async (origin, req) => {
    const segments = req.path.split('/');
    const matches = compiled
      .map((c) => ({ route: c.route, params: matchSegments(c.segments, segments) }))
      .filter((m) => m.params !== undefined);
    if (matches.length === 0) return errorResponse(404, 'M_UNRECOGNIZED', 'Unrecognized request');
    const match = matches.find((m) => m.route.method === req.method);
    if (!match) return errorResponse(405, 'M_UNRECOGNIZED', `${req.method} is not allowed on this path`);
    try {
      return await match.route.handler({ origin, req, params: match.params ?? {} });
    } catch (err) {
      if (!(err instanceof MatrixError)) throw err;
      return errorResponse(err.status, err.errcode, err.message, err.extra as JsonObject);
    }
  };
}

function matchSegments(
  pattern: readonly string[],
  path: readonly string[],
): Record<string, string> | undefined {
  if (pattern.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i]!;
    const param = /^\{(\w+)\}$/.exec(part);
    if (!param) {
      if (part !== path[i]) return undefined;
      continue;
    }
    try {
      params[param[1]!] = decodeURIComponent(path[i]!);
    } catch {
      return undefined;
    }
    if (params[param[1]!] === '') return undefined;
  }
  return params;
}
