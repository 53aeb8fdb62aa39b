// Login, logout and whoami (spec: "Login", POST /logout, GET /account/whoami).
// Logins are m.login.password and m.login.token (a token from
// /login/get_token, login-tokens.ts); either may ask for a refresh token
// (refresh-tokens.ts).
import { forbidden, MatrixError, unknown } from '../errors.ts';
import { jsonObjectBody, optionalBoolean, optionalString, requireString } from '../http/json-body.ts';
import type { RequestContext, Route } from '../http/route.ts';
import type { AccountDeps } from './deps.ts';
import { baseUrlOf } from './discovery-routes.ts';
import { spendLoginToken } from './login-tokens.ts';
import { verifyPassword } from './password-hash.ts';
import { newAccessToken, newDeviceId } from './random-ids.ts';
import { refreshFields, refreshGrant } from './refresh-tokens.ts';
import { callerOf, V3 } from './route-helpers.ts';
import {
  deleteAllDevices,
  deleteDevice,
  writeRemovingDevices,
  requestedDeviceId,
  SESSION_TABLES,
  startSession,
} from './sessions.ts';
import { LOGIN_TOKENS, USERS } from './tables.ts';
import { getUser, readUser, userIdFromIdentifier } from './users.ts';

export function loginRoutes(deps: AccountDeps): Route[] {
  return [
    {
      method: 'GET',
      path: `${V3}/login`,
      auth: 'none',
      // Spec: `get_login_token` says a signed-in client may ask for a token of this type.
      handler: async () => ({
        body: { flows: [{ type: 'm.login.password' }, { type: 'm.login.token', get_login_token: true }] },
      }),
    },
    {
      method: 'POST',
      path: `${V3}/login`,
      auth: 'none',
      rateLimit: 'login',
      handler: (ctx) => login(deps, ctx),
    },
    {
      method: 'POST',
      path: `${V3}/logout`,
      auth: 'required',
      async handler(ctx) {
        const { userId, deviceId } = callerOf(ctx);
        await writeRemovingDevices(deps, SESSION_TABLES, (tx, removal) =>
          deleteDevice(tx, userId, deviceId, removal),
        );
        return { body: {} };
      },
    },
    {
      method: 'POST',
      path: `${V3}/logout/all`,
      auth: 'required',
      async handler(ctx) {
        const { userId } = callerOf(ctx);
        await writeRemovingDevices(deps, SESSION_TABLES, (tx, removal) =>
          deleteAllDevices(tx, userId, undefined, removal),
        );
        return { body: {} };
      },
    },
    {
      method: 'GET',
      path: `${V3}/account/whoami`,
      auth: 'required',
      async handler(ctx) {
        const { userId, deviceId } = callerOf(ctx);
        return { body: { user_id: userId, device_id: deviceId, is_guest: false } };
      },
    },
  ];
}

const deactivated = () => new MatrixError(403, 'M_USER_DEACTIVATED', 'This account has been deactivated');

/** POST /_matrix/client/v3/login with m.login.password or m.login.token. */
async function login(deps: AccountDeps, ctx: RequestContext) {
  const body = jsonObjectBody(ctx.req);
  const type = requireString(body, 'type');
  if (type !== 'm.login.password' && type !== 'm.login.token') throw unknown(`Unknown login type ${type}`);
  const requestedDevice = requestedDeviceId(optionalString(body, 'device_id'));
  const displayName = optionalString(body, 'initial_device_display_name');
  const refresh = await refreshGrant(deps, optionalBoolean(body, 'refresh_token'));
  const deviceId = requestedDevice ?? newDeviceId(deps.randomBytes);
  const accessToken = newAccessToken(deps.randomBytes);
  const now = deps.clock.now();
  const session = (userId: string) => ({
    userId,
    deviceId,
    accessToken,
    now,
    ...(displayName !== undefined ? { displayName } : {}),
    ...(refresh ? { refresh: { token: refresh.token, expiresTs: refresh.expiresTs } } : {}),
  });

  let userId: string;
  if (type === 'm.login.password') {
    userId = userIdFromIdentifier(body, deps.serverName);
    const password = requireString(body, 'password');
    const user = await readUser(deps.store, userId);
    if (user?.deactivated) throw deactivated();
    if (!user?.password_hash || !(await verifyPassword(deps.pbkdf2, password, user.password_hash))) {
      throw forbidden('Invalid username or password');
    }
    await deps.store.write(SESSION_TABLES, (tx) => startSession(tx, session(userId)));
  } else {
    const token = requireString(body, 'token');
    // Spent in the login's own transaction: two logins with one token cannot both succeed.
    userId = await deps.store.write([LOGIN_TOKENS, USERS, ...SESSION_TABLES], async (tx) => {
      const owner = await spendLoginToken(tx, token, now);
      const user = await getUser(tx, owner);
      if (!user || user.deactivated) throw deactivated();
      await startSession(tx, session(owner));
      return owner;
    });
  }
  const response: Record<string, unknown> = {
    user_id: userId,
    access_token: accessToken,
    device_id: deviceId,
    ...refreshFields(refresh),
  };
  const baseUrl = baseUrlOf(deps.config, ctx.req);
  if (baseUrl !== undefined) response.well_known = { 'm.homeserver': { base_url: baseUrl } };
  return { body: response };
}
