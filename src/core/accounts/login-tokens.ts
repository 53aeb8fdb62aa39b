// Login tokens (spec: POST /_matrix/client/v1/login/get_token and the
// `m.login.token` login type): a signed-in device asks for a token, after
// user-interactive auth with the account's password (the spec lets the
// server ask for it, and a stolen access token alone must not mint new
// sessions), and another browser or client signs in with it once, within
// two minutes. A token used, expired or never issued is 403 M_FORBIDDEN, as
// any failed login.
import { forbidden } from '../errors.ts';
import { optionalJsonObjectBody } from '../http/json-body.ts';
import type { HandlerResult, RequestContext, Route } from '../http/route.ts';
import type { WriteTx } from '../storage/port.ts';
import type { AccountDeps } from './deps.ts';
import { newAccessToken } from './random-ids.ts';
import { callerOf } from './route-helpers.ts';
import { LOGIN_TOKENS, loginTokensTable } from './tables.ts';
import { userInteractiveAuth } from './uia.ts';

/** Synapse gives five minutes; a token read off one screen and typed into another needs less. */
export const LOGIN_TOKEN_LIFETIME_MS = 2 * 60_000;
/** Tokens waiting per user at most: asking again and again must not grow the table. */
const MAX_TOKENS_PER_USER = 10;

export function loginTokenRoutes(deps: AccountDeps): Route[] {
  return [
    {
      method: 'POST',
      path: '/_matrix/client/v1/login/get_token',
      auth: 'required',
      rateLimit: 'login',
      handler: (ctx) => getToken(deps, ctx),
    },
  ];
}

async function getToken(deps: AccountDeps, ctx: RequestContext): Promise<HandlerResult> {
  const { userId } = callerOf(ctx);
  const body = optionalJsonObjectBody(ctx.req);
  const outcome = await userInteractiveAuth(
    deps,
    { purpose: 'get_login_token', flows: [['m.login.password']], userId },
    body,
  );
  if (!outcome.done) return outcome.response;
  const token = newAccessToken(deps.randomBytes);
  const now = deps.clock.now();
  await deps.store.write([LOGIN_TOKENS], async (tx) => {
    await loginTokensTable.deleteWhere(tx, { index: 'expires', range: { upper: now } });
    const mine = await loginTokensTable.query(tx, { index: 'user', equals: userId });
    for (const old of mine.slice(0, Math.max(0, mine.length - MAX_TOKENS_PER_USER + 1)))
      await loginTokensTable.delete(tx, old.token);
    await loginTokensTable.put(tx, { token, user_id: userId, expires_ts: now + LOGIN_TOKEN_LIFETIME_MS });
  });
  return { body: { login_token: token, expires_in_ms: LOGIN_TOKEN_LIFETIME_MS } };
}

/**
 * Spends a login token inside the login's own transaction (so it is used
 * once even when two logins race): the user it signs in, or 403.
 */
export async function spendLoginToken(tx: WriteTx, token: string, now: number): Promise<string> {
  const row = await loginTokensTable.get(tx, token);
  if (row) await loginTokensTable.delete(tx, token);
  if (!row || row.expires_ts <= now) throw forbidden('Invalid or expired login token');
  return row.user_id;
}
