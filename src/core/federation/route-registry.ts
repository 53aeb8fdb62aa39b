// Server-Server endpoints as a table of routes, so parts of the federation
// code that live apart each contribute their endpoints to the one handler on
// `transport.onRequest`: room federation (federation.ts, routes/) and the
// network directory (directory/federation-routes.ts, passed to
// createFederation as `extraRoutes`).
import { MatrixError } from '../errors.ts';
import { RouteTable } from '../http/route-table.ts';
import type { JsonObject } from '../protocol/types.ts';
import { errorResponse } from './inbound.ts';
import type {
  FederationHandler,
  FederationRequest,
  FederationResponse,
  StreamingResponse,
} from './transport.ts';

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
  /** Answers the request (bytes may be streamed: media); throws MatrixError for the spec's error responses. */
  readonly handler: (ctx: FederationRouteContext) => Promise<StreamingResponse>;
}

/** A 200 response with a JSON body. */
export function ok(body: JsonObject): FederationResponse {
  return { status: 200, body };
}

/**
 * One handler over `routes`, matched by the homeserver's one route table
 * (http/route-table.ts, with strict parameters): unknown paths are 404
 * M_UNRECOGNIZED, a known path with another method 405 M_UNRECOGNIZED (spec:
 * "Unsupported endpoints"), a thrown MatrixError its own response through the
 * one mapping (inbound.ts's errorResponse over http/respond.ts's errorBody).
 * Anything else thrown propagates, and the transport's inbound gate answers a
 * bare 500.
 */
export function federationRouter(routes: readonly FederationRoute[]): FederationHandler {
  const table = new RouteTable(routes, 'strict');
  return async (origin, req) => {
    try {
      const { route, params } = table.match(req.method, req.path);
      return await route.handler({ origin, req, params });
    } catch (err) {
      if (!(err instanceof MatrixError)) throw err;
      return errorResponse(err);
    }
  };
}
