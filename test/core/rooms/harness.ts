// A homeserver made of the room routes only, over a fresh fake-indexeddb
// store, with access tokens that are simply `token-<userId>` (device DEV).
// Tests drive it through the real router with HTTP-shaped requests.
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import type { Clock } from '../../../src/core/ports.ts';
import { silentLogger } from '../../../src/core/ports.ts';
import { createRouter } from '../../../src/core/http/router.ts';
import type { HsResponse } from '../../../src/core/http/types.ts';
import { encodeHex } from '../../../src/core/protocol.ts';
import { ed25519, signerFor } from '../../support/ed25519.ts';
import { createRooms, type Rooms } from '../../../src/core/rooms/rooms.ts';
import type { MemberProfile, RoomDeps } from '../../../src/core/rooms/deps.ts';
import { openDexieStore } from '../../../src/platform/dexie/dexie-store.ts';
import type { Store } from '../../../src/core/storage/port.ts';
import { SCHEMA } from '../../../src/core/schema.ts';
import { openSqliteStore } from '../../../src/node/storage/sqlite-store.ts';
import { systemRandomBytes } from '../../../src/platform/system-random.ts';
import { Notifier } from '../../../src/core/events/notifier.ts';
import { DEFAULT_RATE_LIMITS, RateLimiter } from '../../../src/core/http/rate-limit.ts';
import { systemClock } from '../../../src/platform/system-clock.ts';

export interface Reply {
  status: number;
  // Tests read whatever the endpoint answered.
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
  body: any;
}

export interface RequestOptions {
  /** Acts as this user (device `DEV` unless `device` says otherwise). */
  as?: string;
  device?: string;
  body?: unknown;
  /** Raw body bytes (for malformed JSON). */
  raw?: Uint8Array;
  query?: Record<string, string>;
}

/** A clock that moves one millisecond per reading, so timestamps are distinct and ordered. */
export class StepClock implements Clock {
  t = 1_700_000_000_000;
  now(): number {
    this.t += 1;
    return this.t;
  }
  sleep(): Promise<void> {
    return Promise.resolve();
  }
}

export interface Harness {
  /** The rooms module the harness serves (one writer: write through `rooms.context.writer`). */
  readonly rooms: Rooms;
  readonly deps: RoomDeps;
  readonly serverName: string;
  readonly store: Store;
  readonly notifier: Notifier;
  readonly clock: StepClock;
  /** `@name:<serverName>` */
  user(name: string): string;
  request(method: string, path: string, options?: RequestOptions): Promise<Reply>;
  /** POST createRoom as `creator`, returning the room id (asserting 200). */
  createRoom(creator: string, body?: Record<string, unknown>): Promise<string>;
  /** POST join of `user` into `roomId` (asserting 200). */
  join(roomId: string, user: string): Promise<void>;
  /** PUT send of an m.room.message with a fresh txnId, returning the event id (asserting 200). */
  sendText(roomId: string, sender: string, text: string): Promise<string>;
  close(): Promise<void>;
}

let counter = 0;

/** Encodes each `{}`-free path segment so ids with `!`, `#`, `:` and `/` survive the router. */
export function path(strings: TemplateStringsArray, ...values: string[]): string {
  return strings.reduce(
    (out, s, i) => out + s + (i < values.length ? encodeURIComponent(values[i]!) : ''),
    '',
  );
}

export async function startHarness(
  options: {
    profiles?: Record<string, MemberProfile>;
    knownUsers?: string[];
    /** What the rooms reach the store through (the extension's row cache, a test's wrapper). */
    wrap?: (store: Store) => Store;
    /** The store beneath (default: SQLite when ROOMS_STORE=sqlite, else Dexie over fake-indexeddb). */
    kind?: 'dexie' | 'sqlite';
  } = {},
): Promise<Harness> {
  const seed = new Uint8Array(32).fill(7);
  const serverName = encodeHex(await ed25519.publicKey(seed));
  // ROOMS_STORE=sqlite runs the same tests over the Node peer's SQLite store.
  const opened =
    (options.kind ?? (process.env.ROOMS_STORE === 'sqlite' ? 'sqlite' : 'dexie')) === 'sqlite'
      ? await openSqliteStore(':memory:', SCHEMA)
      : await openDexieStore(`rooms-test-${++counter}`, SCHEMA, { indexedDB: new IDBFactory(), IDBKeyRange });
  const store = options.wrap?.(opened) ?? opened;
  const notifier = new Notifier();
  const clock = new StepClock();
  const known = options.knownUsers;
  const deps: RoomDeps = {
    store,
    clock,
    notifier,
    serverName,
    signer: signerFor(serverName, seed),
    randomBytes: systemRandomBytes,
    accounts: {
      profileOf: async (userId) => options.profiles?.[userId],
      // Without a list of known users, every local user exists.
      userExists: async (userId) => known?.includes(userId) ?? true,
    },
  };
  const rooms = createRooms(deps);
  const handle = createRouter({
    rateLimiter: new RateLimiter(DEFAULT_RATE_LIMITS, systemClock),
    routes: rooms.routes,
    logger: process.env.ROOMS_DEBUG
      ? { ...silentLogger, error: (m, f) => console.error(m, f) }
      : silentLogger,
    authenticate: async (token) => {
      const match = /^token-(@[^/]+)\/(.+)$/.exec(token);
      return match ? { userId: match[1]!, deviceId: match[2]!, accessToken: token } : undefined;
    },
  });
  let txn = 0;
  const harness: Harness = {
    deps,
    rooms,
    serverName,
    store,
    notifier,
    clock,
    user: (name) => `@${name}:${serverName}`,
    async request(method, requestPath, opts = {}) {
      const headers: Record<string, string> = {};
      if (opts.as) headers.authorization = `Bearer token-${opts.as}/${opts.device ?? 'DEV'}`;
      const body =
        opts.raw ??
        (opts.body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(opts.body)));
      const res: HsResponse = await handle({
        method,
        path: requestPath,
        query: opts.query ?? {},
        headers,
        body,
      });
      return { status: res.status, body: res.body };
    },
    async createRoom(creator, body = {}) {
      const res = await harness.request('POST', '/_matrix/client/v3/createRoom', { as: creator, body });
      if (res.status !== 200) throw new Error(`createRoom failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.room_id;
    },
    async join(roomId, user) {
      const res = await harness.request('POST', path`/_matrix/client/v3/rooms/${roomId}/join`, {
        as: user,
        body: {},
      });
      if (res.status !== 200) throw new Error(`join failed: ${res.status} ${JSON.stringify(res.body)}`);
    },
    async sendText(roomId, sender, text) {
      const res = await harness.request(
        'PUT',
        path`/_matrix/client/v3/rooms/${roomId}/send/m.room.message/${`t${++txn}`}`,
        {
          as: sender,
          body: { msgtype: 'm.text', body: text },
        },
      );
      if (res.status !== 200) throw new Error(`send failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.event_id;
    },
    close: () => store.close(),
  };
  return harness;
}

export interface SharedRoom {
  readonly hs: Harness;
  readonly alice: string;
  readonly bob: string;
  readonly roomId: string;
}

/** A fresh harness where alice created a public room (`createBody` added) and bob joined it. */
export async function startSharedRoom(createBody: Record<string, unknown> = {}): Promise<SharedRoom> {
  const hs = await startHarness();
  const alice = hs.user('alice');
  const bob = hs.user('bob');
  const roomId = await hs.createRoom(alice, { preset: 'public_chat', ...createBody });
  await hs.join(roomId, bob);
  return { hs, alice, bob, roomId };
}
