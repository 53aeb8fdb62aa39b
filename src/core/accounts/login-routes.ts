// Login, logout and whoami (spec: "Login", POST /logout, GET /account/whoami).
// Only m.login.password is offered; tokens never expire, so no refresh tokens
// are issued and /refresh is not served (404 M_UNRECOGNIZED).
import { forbidden, MatrixError, unknown } from '../errors.ts';
import { jsonObjectBody, optionalBoolean, optionalString, requireString } from '../http/json-body.ts';
import type { RequestContext, Route } from '../http/route.ts';
import type { AccountDeps } from './deps.ts';
import { baseUrlOf } from './discovery-routes.ts';
import { verifyPassword } from './password-hash.ts';
import { newAccessToken, newDeviceId } from './random-ids.ts';
import { callerOf, V3 } from './route-helpers.ts';
import {
  deleteAllDevices,
  deleteDevice,
  writeRemovingDevices,
  requestedDeviceId,
  SESSION_TABLES,
  startSession,
} from './sessions.ts';
import { readUser, userIdFromIdentifier } from './users.ts';

export function loginRoutes(deps: AccountDeps): Route[] {
  return [
    {
      method: 'GET',
      path: `${V3}/login`,
      auth: 'none',
      handler: async () => ({ body: { flows: [{ type: 'm.login.password' }] } }),
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

/** POST /_matrix/client/v3/login with m.login.password. */
async function login(deps: AccountDeps, ctx: RequestContext) {
  const body = jsonObjectBody(ctx.req);
  const type = requireString(body, 'type');
  if (type !== 'm.login.password') throw unknown(`Unknown login type ${type}`);
  const userId = userIdFromIdentifier(body, deps.serverName);
  const password = requireString(body, 'password');
  const requestedDevice = requestedDeviceId(optionalString(body, 'device_id'));
  const displayName = optionalString(body, 'initial_device_display_name');
  optionalBoolean(body, 'refresh_token');

  const user = await readUser(deps.store, userId);
  if (user?.deactivated)
    throw new MatrixError(403, 'M_USER_DEACTIVATED', 'This account has been deactivated');
  if (!user?.password_hash || !(await verifyPassword(deps.pbkdf2, password, user.password_hash))) {
    throw forbidden('Invalid username or password');
  }
  const deviceId = requestedDevice ?? newDeviceId(deps.randomBytes);
  const accessToken = newAccessToken(deps.randomBytes);
  const now = deps.clock.now();
  await deps.store.write(SESSION_TABLES, (tx) =>
    startSession(tx, {
      userId,
      deviceId,
      accessToken,
      now,
      ...(displayName !== undefined ? { displayName } : {}),
    }),
  );
  const response: Record<string, unknown> = {
    user_id: userId,
    access_token: accessToken,
    device_id: deviceId,
  };
  const baseUrl = baseUrlOf(deps.config, ctx.req);
  if (baseUrl !== undefined) response.well_known = { 'm.homeserver': { base_url: baseUrl } };
  return { body: response };
}
