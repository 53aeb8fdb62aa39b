// Where a request carries its access token (spec: "Using access tokens"): an
// `Authorization: Bearer` header, or the deprecated `access_token` query
// parameter, which servers must still accept. The header wins when both exist.
import type { HsRequest } from './types.ts';
import { queryParam } from './query.ts';

export function accessTokenOf(req: HsRequest): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (bearer) return bearer[1];
  }
  const fromQuery = queryParam(req, 'access_token');
  return fromQuery === '' ? undefined : fromQuery;
}
