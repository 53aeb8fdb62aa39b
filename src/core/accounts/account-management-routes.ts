// Password change and account deactivation (spec: POST /account/password,
// POST /account/deactivate), both behind m.login.password UIA. Either may be
// called without an access token: the password stage then names the user.
import {
  jsonObjectBody,
  optionalBoolean,
  optionalJsonObjectBody,
  optionalString,
  requireString,
} from '../http/json-body.ts';
import type { HandlerResult, RequestContext, Route } from '../http/route.ts';
import { STREAM_TABLE } from '../storage/stream.ts';
import { eraseAccountData } from './account-data.ts';
import type { AccountDeps } from './deps.ts';
import { hashPassword } from './password-hash.ts';
import { clearProfile } from './profile.ts';
import { removeAllPushers } from './pushers.ts';
import { checkPassword } from './register-routes.ts';
import { V3 } from './route-helpers.ts';
import { deleteAllDevices, SESSION_TABLES, writeRemovingDevices } from './sessions.ts';
import { ACCOUNT_DATA, PROFILES, PUSHERS, USERS } from './tables.ts';
import { userInteractiveAuth } from './uia.ts';
import { deactivateUser, setPasswordHash } from './users.ts';

export function accountManagementRoutes(deps: AccountDeps): Route[] {
  return [
    {
      method: 'POST',
      path: `${V3}/account/password`,
      auth: 'optional',
      handler: (ctx) => changePassword(deps, ctx),
    },
    {
      method: 'POST',
      path: `${V3}/account/deactivate`,
      auth: 'optional',
      handler: (ctx) => deactivate(deps, ctx),
    },
  ];
}

/** The authenticated user, or the one the completed password stage named (it always names one). */
async function authenticateFor(
  deps: AccountDeps,
  ctx: RequestContext,
  purpose: string,
  body: Record<string, unknown>,
) {
  const userId = ctx.caller?.userId;
  const outcome = await userInteractiveAuth(
    deps,
    { purpose, flows: [['m.login.password']], ...(userId !== undefined ? { userId } : {}) },
    body,
  );
  if (!outcome.done) return { response: outcome.response };
  return { userId: (userId ?? outcome.userId)! };
}

/** POST /_matrix/client/v3/account/password */
async function changePassword(deps: AccountDeps, ctx: RequestContext): Promise<HandlerResult> {
  const body = jsonObjectBody(ctx.req);
  const newPassword = checkPassword(requireString(body, 'new_password'))!;
  const logoutDevices = optionalBoolean(body, 'logout_devices') ?? true;
  const auth = await authenticateFor(deps, ctx, 'password', body);
  if (auth.response) return auth.response;
  const hash = await hashPassword(deps.pbkdf2, newPassword, deps.randomBytes, deps.config.passwordIterations);
  await writeRemovingDevices(deps, [USERS, ...SESSION_TABLES], async (tx, removal) => {
    if (!(await setPasswordHash(tx, auth.userId, hash))) return;
    // Spec: other devices are logged out unless logout_devices is false; the calling one stays.
    if (logoutDevices) await deleteAllDevices(tx, auth.userId, ctx.caller?.deviceId, removal);
  });
  return { body: {} };
}

/** POST /_matrix/client/v3/account/deactivate */
async function deactivate(deps: AccountDeps, ctx: RequestContext): Promise<HandlerResult> {
  const body = optionalJsonObjectBody(ctx.req);
  const erase = optionalBoolean(body, 'erase') ?? false;
  optionalString(body, 'id_server');
  const auth = await authenticateFor(deps, ctx, 'deactivate', body);
  if (auth.response) return auth.response;
  const { userId } = auth;
  await writeRemovingDevices(
    deps,
    [USERS, PROFILES, PUSHERS, ACCOUNT_DATA, STREAM_TABLE, ...SESSION_TABLES],
    async (tx, removal) => {
      if (!(await deactivateUser(tx, userId))) return;
      await deleteAllDevices(tx, userId, undefined, removal);
      await removeAllPushers(tx, userId);
      await clearProfile(tx, userId);
      if (erase) await eraseAccountData(tx, userId);
    },
  );
  await deps.rooms.userDeactivated(userId);
  deps.notifier.notify({ everyone: true });
  // No third-party ids are ever bound here, so there is nothing to unbind.
  return { body: { id_server_unbind_result: 'no-support' } };
}
