// Account registration (spec: POST /register, GET /register/available, and
// "Token-authenticated registration"). Registration is open (m.login.dummy),
// needs a shared token (m.login.registration_token) or is closed (403).
import { forbidden, invalidParam, MatrixError, userInUse } from '../errors.ts';
import {
  type JsonRecord,
  optionalBoolean,
  optionalJsonObjectBody,
  optionalString,
} from '../http/json-body.ts';
import { queryParam, requireQueryParam } from '../http/query.ts';
import type { HandlerResult, RequestContext, Route } from '../http/route.ts';
import { nextStreamPosition, STREAM_TABLE } from '../storage/stream.ts';
import type { AccountDeps } from './deps.ts';
import { hashPassword } from './password-hash.ts';
import { newAccessToken, newDeviceId, newLocalpart } from './random-ids.ts';
import { refreshFields, refreshGrant } from './refresh-tokens.ts';
import { V3 } from './route-helpers.ts';
import { requestedDeviceId, SESSION_TABLES, startSession } from './sessions.ts';
import { PROFILES, USERS } from './tables.ts';
import { type UiaStage, userInteractiveAuth } from './uia.ts';
import { createUser, getUser, userIdFor, userIdForNewUsername } from './users.ts';

/** Synapse's limit; PBKDF2 over megabytes of "password" would be a cheap way to burn CPU. */
const MAX_PASSWORD_LENGTH = 512;

export function registerRoutes(deps: AccountDeps): Route[] {
  return [
    {
      method: 'POST',
      path: `${V3}/register`,
      auth: 'none',
      rateLimit: 'register',
      handler: (ctx) => register(deps, ctx),
    },
    {
      method: 'GET',
      path: `${V3}/register/available`,
      auth: 'none',
      async handler(ctx) {
        await registrationFlows(deps, ctx.req.client);
        const userId = userIdForNewUsername(requireQueryParam(ctx.req, 'username'), deps.serverName);
        const existing = await deps.store.read([USERS], (tx) => getUser(tx, userId));
        if (existing) throw userInUse();
        return { body: { available: true } };
      },
    },
    {
      method: 'GET',
      path: '/_matrix/client/v1/register/m.login.registration_token/validity',
      auth: 'none',
      async handler(ctx) {
        const mode = deps.config.registration;
        if (typeof mode !== 'object') throw forbidden('Registration tokens are not used on this server');
        return { body: { valid: requireQueryParam(ctx.req, 'token') === mode.token } };
      },
    },
  ];
}

export function checkPassword(password: string | undefined): string | undefined {
  if (password !== undefined && password.length > MAX_PASSWORD_LENGTH) {
    throw invalidParam(`Passwords may not be longer than ${MAX_PASSWORD_LENGTH} characters`);
  }
  return password;
}

/**
 * The flows for a new account, or the spec's 403 M_FORBIDDEN when this
 * server, or this client of it (AccountConfig.mayRegister), does not permit
 * registering.
 */
async function registrationFlows(
  deps: AccountDeps,
  client: string | undefined,
): Promise<{ flows: UiaStage[][]; registrationToken?: string }> {
  const mode = deps.config.registration;
  if (mode === 'closed') throw forbidden('Registration is disabled');
  if (deps.config.mayRegister && !(await deps.config.mayRegister(client)))
    throw forbidden('Registration is disabled for this client');
  if (mode === 'open') return { flows: [['m.login.dummy']] };
  return { flows: [['m.login.registration_token']], registrationToken: mode.token };
}

/** POST /_matrix/client/v3/register (steps as in the spec's endpoint description). */
async function register(deps: AccountDeps, ctx: RequestContext): Promise<HandlerResult> {
  const body = optionalJsonObjectBody(ctx.req);
  // 1. Only `user` accounts: guest access is not offered.
  const kind = queryParam(ctx.req, 'kind') ?? 'user';
  if (kind === 'guest') throw new MatrixError(403, 'M_GUEST_ACCESS_FORBIDDEN', 'Guest access is disabled');
  if (kind !== 'user') throw invalidParam(`Unknown account kind ${kind}`);
  // 2. Is registration possible at all, and with which flows?
  const flows = await registrationFlows(deps, ctx.req.client);
  // 3. Check the request before the auth dance so the client learns of a taken name at once.
  const request = readRegistration(body, deps.serverName);
  if (request.userId !== undefined) await ensureFree(deps, request.userId);
  // 4. User-interactive auth.
  const outcome = await userInteractiveAuth(deps, { purpose: 'register', ...flows }, body);
  if (!outcome.done) return outcome.response;
  // 5. Create the account (a random localpart when none was asked for), and a session unless inhibited.
  const userId = request.userId ?? userIdFor(newLocalpart(deps.randomBytes), deps.serverName);
  const passwordHash =
    request.password === undefined
      ? undefined
      : await hashPassword(deps.pbkdf2, request.password, deps.randomBytes, deps.config.passwordIterations);
  const refresh = request.inhibitLogin ? undefined : await refreshGrant(deps, request.refreshToken);
  const session = request.inhibitLogin
    ? undefined
    : {
        userId,
        deviceId: request.deviceId ?? newDeviceId(deps.randomBytes),
        accessToken: newAccessToken(deps.randomBytes),
        now: deps.clock.now(),
        ...(request.displayName !== undefined ? { displayName: request.displayName } : {}),
        ...(refresh ? { refresh: { token: refresh.token, expiresTs: refresh.expiresTs } } : {}),
      };
  await deps.store.write([USERS, PROFILES, STREAM_TABLE, ...SESSION_TABLES], async (tx) => {
    const stream = await nextStreamPosition(tx);
    await createUser(tx, {
      userId,
      now: deps.clock.now(),
      stream,
      ...(passwordHash ? { passwordHash } : {}),
    });
    if (session) await startSession(tx, session);
  });
  deps.notifier.notify({ everyone: true });
  if (!session) return { body: { user_id: userId } };
  return {
    body: {
      user_id: userId,
      access_token: session.accessToken,
      device_id: session.deviceId,
      ...refreshFields(refresh),
    },
  };
}

interface RegistrationRequest {
  readonly userId?: string;
  readonly password?: string;
  readonly deviceId?: string;
  readonly displayName?: string;
  readonly inhibitLogin: boolean;
  readonly refreshToken: boolean;
}

function readRegistration(body: JsonRecord, serverName: string): RegistrationRequest {
  const username = optionalString(body, 'username');
  const password = checkPassword(optionalString(body, 'password'));
  const deviceId = requestedDeviceId(optionalString(body, 'device_id'));
  const displayName = optionalString(body, 'initial_device_display_name');
  const inhibitLogin = optionalBoolean(body, 'inhibit_login') ?? false;
  const refreshToken = optionalBoolean(body, 'refresh_token') ?? false;
  return {
    ...(username !== undefined && username !== ''
      ? { userId: userIdForNewUsername(username, serverName) }
      : {}),
    ...(password !== undefined ? { password } : {}),
    ...(deviceId !== undefined ? { deviceId } : {}),
    ...(displayName !== undefined ? { displayName } : {}),
    inhibitLogin,
    refreshToken,
  };
}

async function ensureFree(deps: AccountDeps, userId: string): Promise<void> {
  const existing = await deps.store.read([USERS], (tx) => getUser(tx, userId));
  if (existing) throw userInUse();
}
