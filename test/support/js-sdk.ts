// Helpers for driving the homeserver with the real matrix-js-sdk (the client
// library Element is built on): registration through user-interactive auth,
// a started client, and waiting for what a user would see.
import { type EventEmitter, once } from 'node:events';
import { ClientEvent, createClient, type MatrixClient, SyncState } from 'matrix-js-sdk';
import { type Logger, logger as sdkLogger } from 'matrix-js-sdk/lib/logger.js';

// matrix-js-sdk arms a plain setTimeout for every request's local timeout
// (`timeoutSignal` in http-api/utils.js: 80 s past the /sync long-poll) and
// never clears it, so a finished test file would stay alive for up to 110 s.
// Node's own AbortSignal.timeout unrefs its timer for this reason; doing the
// same for long timers here changes nothing while the process has work, and
// lets it exit when the tests are done.
const LONG_TIMER_MS = 45_000;
const setTimer = globalThis.setTimeout;
globalThis.setTimeout = ((handler: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
  const timer = setTimer(handler, ms, ...args);
  if ((ms ?? 0) >= LONG_TIMER_MS) timer.unref();
  return timer;
}) as typeof setTimeout;

export const quiet: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  getChild: () => quiet,
};

/** Registers `username` through the UIA dance (401 with a session, then m.login.dummy). */
export async function registerUser(baseUrl: string, username: string, password = 'correct horse battery') {
  const anonymous = createClient({ baseUrl, logger: quiet });
  let session: string | undefined;
  try {
    await anonymous.registerRequest({ username, password });
  } catch (err) {
    const data = (err as { data?: { session?: string } }).data;
    session = data?.session;
  }
  if (!session) throw new Error('register did not answer 401 with a UIA session');
  const res = await anonymous.registerRequest({
    username,
    password,
    auth: { type: 'm.login.dummy', session },
  });
  return { userId: res.user_id, accessToken: res.access_token!, deviceId: res.device_id! };
}

/**
 * A logged-in client that has finished its first sync; `threadSupport` as
 * Element runs it (threaded receipts, per-thread unread counts).
 */
export async function startedClient(
  baseUrl: string,
  username: string,
  { threadSupport = false } = {},
): Promise<MatrixClient> {
  const creds = await registerUser(baseUrl, username);
  const client = createClient({ baseUrl, ...creds, logger: quiet, timelineSupport: true });
  const prepared = waitFor(client, ClientEvent.Sync, (state: SyncState) => state === SyncState.Prepared);
  await client.startClient({ initialSyncLimit: 20, lazyLoadMembers: true, threadSupport });
  await prepared;
  return client;
}

/** A client over existing credentials (a user coming back), through its first sync. */
export async function credentialsClient(baseUrl: string, creds: Credentials): Promise<MatrixClient> {
  const client = createClient({ baseUrl, ...creds, logger: quiet, timelineSupport: true });
  const prepared = waitFor(client, ClientEvent.Sync, (state: SyncState) => state === SyncState.Prepared);
  await client.startClient({ initialSyncLimit: 20, lazyLoadMembers: true });
  await prepared;
  return client;
}

export interface Credentials {
  readonly userId: string;
  readonly accessToken: string;
  readonly deviceId: string;
}

/** Logs in a new device of an existing user (m.login.password). */
export async function loginDevice(baseUrl: string, user: string, password = 'correct horse battery') {
  const anonymous = createClient({ baseUrl, logger: quiet });
  const res = await anonymous.loginRequest({
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user },
    password,
  });
  return { userId: res.user_id, accessToken: res.access_token, deviceId: res.device_id };
}

/**
 * A client with the Rust crypto Element uses (matrix-sdk-crypto-wasm, its
 * store in memory), started and through its first sync.
 */
export async function cryptoClient(baseUrl: string, creds: Credentials): Promise<MatrixClient> {
  // The crypto and the send queue log through js-sdk's global logger, not the client's.
  (sdkLogger as unknown as { setLevel(level: string): void }).setLevel('silent');
  const client = createClient({ baseUrl, ...creds, logger: quiet, timelineSupport: true });
  await client.initRustCrypto({ useIndexedDB: false });
  const prepared = waitFor(client, ClientEvent.Sync, (state: SyncState) => state === SyncState.Prepared);
  await client.startClient({ initialSyncLimit: 20, lazyLoadMembers: true });
  await prepared;
  return client;
}

/**
 * Resolves with the arguments of the first `event` for which `accept` holds.
 * The bound is a hang guard for a broken build, not a performance assertion.
 */
export function waitFor<A extends unknown[]>(
  emitter: Pick<EventEmitter, 'on' | 'off'>,
  event: string,
  accept: (...args: A) => boolean,
  hangGuardMs = 30_000,
): Promise<A> {
  return new Promise<A>((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no ${event} that matched within ${hangGuardMs} ms`));
    }, hangGuardMs);
    const listener = (...args: unknown[]) => {
      if (!accept(...(args as A))) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args as A);
    };
    emitter.on(event, listener);
  });
}

/** Polls `check` until it returns a value (for state a client derives from several events). */
export async function eventually<T>(check: () => T | undefined | false, hangGuardMs = 30_000): Promise<T> {
  const deadline = Date.now() + hangGuardMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met before the hang guard');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Polls `check` until it returns a value, naming `what` if the hang guard
 * (for a broken build, never a performance assertion) is reached.
 */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  hangGuardMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + hangGuardMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`hang guard: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export { once };
