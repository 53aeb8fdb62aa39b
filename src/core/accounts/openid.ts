// OpenID (spec: client-server "OpenID", server-server "OpenID"): a user asks
// for a short-lived token and hands it to a widget or an integration manager,
// which asks this homeserver (GET /_matrix/federation/v1/openid/userinfo,
// over the peer transport) whose it is. The token proves nothing else and
// grants no access to the account.
import { unknownToken } from '../errors.ts';
import { optionalJsonObjectBody } from '../http/json-body.ts';
import { requireUserId } from '../http/matrix-ids.ts';
import type { Route } from '../http/route.ts';
import type { Store } from '../storage/port.ts';
import type { AccountDeps } from './deps.ts';
import { newAccessToken } from './random-ids.ts';
import { param, requireSelf, V3 } from './route-helpers.ts';
import { OPENID_TOKENS, openIdTokensTable } from './tables.ts';

/** An hour, as Synapse gives. */
export const OPENID_TOKEN_LIFETIME_MS = 3_600_000;

export function openIdRoutes(deps: AccountDeps): Route[] {
  return [
    {
      method: 'POST',
      path: `${V3}/user/{userId}/openid/request_token`,
      auth: 'required',
      /** POST /user/{userId}/openid/request_token: only for oneself; expired tokens are swept here. */
      async handler(ctx) {
        const userId = requireUserId(param(ctx, 'userId'));
        requireSelf(ctx, userId, 'request OpenID tokens');
        optionalJsonObjectBody(ctx.req);
        const token = newAccessToken(deps.randomBytes);
        const now = deps.clock.now();
        await deps.store.write([OPENID_TOKENS], async (tx) => {
          await openIdTokensTable.deleteWhere(tx, { index: 'expires', range: { upper: now } });
          await openIdTokensTable.put(tx, {
            token,
            user_id: userId,
            expires_ts: now + OPENID_TOKEN_LIFETIME_MS,
          });
        });
        return {
          body: {
            access_token: token,
            token_type: 'Bearer',
            matrix_server_name: deps.serverName,
            expires_in: OPENID_TOKEN_LIFETIME_MS / 1000,
          },
        };
      },
    },
  ];
}

/** GET /_matrix/federation/v1/openid/userinfo: `{sub}` for a live token, else 401 M_UNKNOWN_TOKEN. */
export async function openIdUserInfo(store: Store, token: string, now: number): Promise<{ sub: string }> {
  const row = await store.read([OPENID_TOKENS], (tx) => openIdTokensTable.get(tx, token));
  if (!row || row.expires_ts <= now) throw unknownToken('Access token unknown or expired');
  return { sub: row.user_id };
}
