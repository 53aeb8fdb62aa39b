// Refresh tokens (spec: "Refreshing access tokens", POST /refresh). A client
// that logs in or registers with `refresh_token: true` gets an access token
// that expires after the owner's lifetime (server-settings.ts) and a refresh
// token. Refreshing hands out a new pair; the old refresh token stays good
// until the new access or refresh token is first used, then it and its
// access token are revoked (so a reply lost on the way costs nothing).
// Refreshing again with an old token whose successor was never used replaces
// that successor; a token already replaced and revoked is 401
// M_UNKNOWN_TOKEN with soft_logout, as the spec's example answers.
import { unknownToken } from '../errors.ts';
import { jsonObjectBody, requireString } from '../http/json-body.ts';
import type { HandlerResult, RequestContext, Route } from '../http/route.ts';
import type { Store } from '../storage/port.ts';
import type { AccountDeps } from './deps.ts';
import { newAccessToken } from './random-ids.ts';
import { V3 } from './route-helpers.ts';
import { readOwnerSettings } from './server-settings.ts';
import { revokeRefreshToken } from './sessions.ts';
import { REFRESH_TOKENS, refreshTokensTable, SERVER_SETTINGS, TOKENS, tokensTable } from './tables.ts';

export function refreshRoutes(deps: AccountDeps): Route[] {
  return [
    {
      method: 'POST',
      path: `${V3}/refresh`,
      // Spec: authentication is the refresh token; an access token (maybe expired) is ignored.
      auth: 'none',
      rateLimit: 'login',
      handler: (ctx) => refresh(deps, ctx),
    },
  ];
}

/** A refresh token for a new session and its access token's expiry, when the client asked for one. */
export interface RefreshGrant {
  readonly token: string;
  readonly expiresTs: number;
  readonly lifetimeMs: number;
}

export async function refreshGrant(
  deps: AccountDeps,
  wanted: boolean | undefined,
): Promise<RefreshGrant | undefined> {
  if (!wanted) return undefined;
  const lifetimeMs = await accessTokenLifetime(deps.store);
  return { token: newAccessToken(deps.randomBytes), expiresTs: deps.clock.now() + lifetimeMs, lifetimeMs };
}

/** The response fields a refreshable session adds (login and register). */
export function refreshFields(grant: RefreshGrant | undefined): Record<string, unknown> {
  return grant ? { refresh_token: grant.token, expires_in_ms: grant.lifetimeMs } : {};
}

async function accessTokenLifetime(store: Store): Promise<number> {
  return (await store.read([SERVER_SETTINGS], readOwnerSettings)).accessTokenLifetimeMs;
}

/** POST /_matrix/client/v3/refresh */
async function refresh(deps: AccountDeps, ctx: RequestContext): Promise<HandlerResult> {
  const oldToken = requireString(jsonObjectBody(ctx.req), 'refresh_token');
  const lifetimeMs = await accessTokenLifetime(deps.store);
  const accessToken = newAccessToken(deps.randomBytes);
  const refreshToken = newAccessToken(deps.randomBytes);
  const now = deps.clock.now();
  const refreshed = await deps.store.write([TOKENS, REFRESH_TOKENS], async (tx) => {
    const row = await refreshTokensTable.get(tx, oldToken);
    if (!row) return false;
    // Using this token revokes the one it replaced; a successor never used is replaced in turn.
    if (row.replaces !== undefined) await revokeRefreshToken(tx, row.replaces);
    if (row.next !== undefined) await revokeRefreshToken(tx, row.next);
    const { replaces: _, ...rest } = row;
    await refreshTokensTable.put(tx, { ...rest, next: refreshToken });
    await refreshTokensTable.put(tx, {
      token: refreshToken,
      user_id: row.user_id,
      device_id: row.device_id,
      access_token: accessToken,
      created_ts: now,
      replaces: oldToken,
    });
    await tokensTable.put(tx, {
      token: accessToken,
      user_id: row.user_id,
      device_id: row.device_id,
      created_ts: now,
      expires_ts: now + lifetimeMs,
      replaces: oldToken,
    });
    return true;
  });
  if (!refreshed) throw unknownToken('Unknown refresh token, or one already used', true);
  return { body: { access_token: accessToken, refresh_token: refreshToken, expires_in_ms: lifetimeMs } };
}
