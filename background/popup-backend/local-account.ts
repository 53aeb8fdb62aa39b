// The local account the popup creates: registered through the homeserver's
// own POST /register (user-interactive auth with m.login.dummy, as any client
// does), so the same username rules and password hashing apply. The session
// it gets back ("p2p-matrix popup" in the user's device list) is kept in
// storage.local so that the popup can manage aliases as that user; the popup
// itself never sees a token.
import { callHomeserver, callHomeserverRaw, type HomeserverHandle, homeserverError } from './hs-call.ts';
import type { KeyValueArea } from '../worker/key-value-area.ts';
import { type AccountState, MIN_PASSWORD_LENGTH } from '../../src/platform/web/popup-messages.ts';

const STORAGE_KEY = 'localAccount';
const V3 = '/_matrix/client/v3';

export interface AccountSession {
  readonly userId: string;
  readonly accessToken: string;
  readonly deviceId: string;
}

/** The account cannot be created as asked; the message says why. */
export class AccountInputError extends Error {
  override readonly name = 'AccountInputError';
}

/** The popup already created the local account. */
export class AccountExistsError extends Error {
  override readonly name = 'AccountExistsError';
}

export interface LocalAccount {
  state(): Promise<AccountState>;
  /** The stored session, if the account exists and its token still works. */
  session(): Promise<AccountSession | undefined>;
  create(username: string, password: string): Promise<AccountState>;
}

export function createLocalAccount(homeserver: Promise<HomeserverHandle>, area: KeyValueArea): LocalAccount {
  const stored = async (): Promise<AccountSession | undefined> => {
    const value = (await area.get(STORAGE_KEY)) as Partial<AccountSession> | undefined;
    if (typeof value?.userId !== 'string' || typeof value.accessToken !== 'string') return undefined;
    return { userId: value.userId, accessToken: value.accessToken, deviceId: String(value.deviceId) };
  };
  // A record whose token the server no longer knows (its database was cleared) is forgotten.
  const session = async (): Promise<AccountSession | undefined> => {
    const found = await stored();
    if (!found) return undefined;
    const whoami = await callHomeserverRaw(await homeserver, {
      method: 'GET',
      path: `${V3}/account/whoami`,
      accessToken: found.accessToken,
    });
    if (whoami.status === 200) return found;
    if (whoami.body?.errcode === 'M_UNKNOWN_TOKEN') await area.remove(STORAGE_KEY);
    return undefined;
  };
  return {
    session,
    state: async () => {
      const found = await session();
      return found ? { state: 'exists', userId: found.userId } : { state: 'none' };
    },
    async create(username, password) {
      if (await session()) throw new AccountExistsError('The local account already exists');
      const created = await register(await homeserver, checkUsername(username), checkPassword(password));
      await area.set(STORAGE_KEY, created);
      return { state: 'exists', userId: created.userId };
    },
  };
}

function checkUsername(input: string): string {
  const username = input.trim().replace(/^@/, '');
  if (username === '') throw new AccountInputError('Choose a username');
  return username;
}

function checkPassword(password: string): string {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AccountInputError(`Use a password of at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  return password;
}

/**
 * POST /register (spec: client-server API "Account registration"):
 * 1. without `auth` the server answers 401 with its flows and a session;
 * 2. the request is sent again with the m.login.dummy stage of that session.
 */
async function register(hs: HomeserverHandle, username: string, password: string): Promise<AccountSession> {
  const request = { username, password, initial_device_display_name: 'p2p-matrix popup' };
  const path = `${V3}/register`;
  // 1. Learn the flows (a taken or invalid username is refused here already).
  const first = await callHomeserverRaw(hs, { method: 'POST', path, body: request });
  if (first.status !== 401) throw homeserverError(first.status, first.body);
  const flows: { stages?: string[] }[] = Array.isArray(first.body?.flows) ? first.body.flows : [];
  if (!flows.some((f) => f.stages?.length === 1 && f.stages[0] === 'm.login.dummy')) {
    throw new AccountInputError('This homeserver does not allow creating accounts without a token');
  }
  // 2. Complete the dummy stage.
  const auth = { type: 'm.login.dummy', session: first.body.session };
  const done = await callHomeserver(hs, { method: 'POST', path, body: { ...request, auth } });
  return { userId: done.user_id, accessToken: done.access_token, deviceId: done.device_id };
}
