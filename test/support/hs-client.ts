// A homeserver over the Dexie store on fake-indexeddb, driven through
// `handle(request)` the way an HTTP adapter would: paths as sent (encode
// parameters with encodeURIComponent), JSON bodies serialised, responses
// round-tripped through JSON so nothing unserialisable slips through.
//
//   const t = await createTestHomeserver();
//   const alice = await t.register('alice');
//   const res = await t.request('GET', '/_matrix/client/v3/account/whoami', undefined, alice.accessToken);
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { createHomeserver, type Homeserver, type HomeserverConfig } from '../../src/core/homeserver.ts';
import type { PeerTransport } from '../../src/core/federation/transport.ts';
import { collectBody, StreamedBody } from '../../src/core/http/streamed-body.ts';
import type { HsRequest } from '../../src/core/http/types.ts';
import type { MediaConfig, Thumbnailer } from '../../src/core/media/api.ts';
import { sharpThumbnailer } from '../../src/node/media/sharp-thumbnailer.ts';
import { openDexieBlobStore } from '../../src/platform/dexie/dexie-blob-store.ts';
import type { Clock, Logger } from '../../src/core/ports.ts';
import { openDexieStore } from '../../src/platform/dexie/dexie-store.ts';
import { cachedHomeserverStore } from '../../src/core/homeserver-store.ts';
import type { BlobStore } from '../../src/core/storage/blob-port.ts';
import type { Store } from '../../src/core/storage/port.ts';
import { SCHEMA } from '../../src/core/schema.ts';
import { systemClock } from '../../src/platform/system-clock.ts';
import type { TurnSource } from '../../src/core/voip/api.ts';
import { homeserverDeps } from './homeserver-deps.ts';

// biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field, as a client would.
export type Json = any;

export interface HsResult {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Json;
}

export interface Credentials {
  readonly userId: string;
  readonly accessToken: string;
  readonly deviceId: string;
}

export interface TestHomeserver {
  readonly hs: Homeserver;
  readonly store: Store;
  readonly serverName: string;
  /** Messages the homeserver logged at error level (a 500 always logs one). */
  readonly errors: string[];
  /**
   * One request. `body`: an object is sent as JSON, a string or bytes as they
   * are (for malformed-body tests), undefined as no body. `path` may carry a
   * query string.
   */
  request(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
    headers?: Record<string, string>,
  ): Promise<HsResult>;
  /** Registers through the UIA dance (401, then m.login.dummy) and returns the new session. */
  register(username: string, password?: string): Promise<Credentials>;
  close(): Promise<void>;
}

export interface TestHomeserverOptions {
  readonly config?: Partial<HomeserverConfig>;
  readonly clock?: Clock;
  /** Joins a network: the transport for this server's name (e.g. a memory network's `transport`). */
  readonly transport?: (serverName: string) => PeerTransport;
  /** The node's name, as `serve --name` or the extension's settings give it. */
  readonly nodeName?: string;
  /** Media limits other than the defaults. */
  readonly media?: Partial<MediaConfig>;
  /** Thumbnails: sharp's (loaded on first use) unless a test gives another. */
  readonly thumbnailer?: Thumbnailer;
  /** Opens the stores (opened with SCHEMA) instead of Dexie's over fake-indexeddb (the media tests run over both). */
  readonly stores?: () => Promise<{ readonly store: Store; readonly blobs: BlobStore }>;
  /** TURN credentials for `/voip/turnServer` (the node's relays). */
  readonly turn?: TurnSource;
}

export const TEST_PASSWORD = 'correct horse battery staple';

let databases = 0;

function toBytes(body: unknown): Uint8Array | undefined {
  if (body === undefined) return undefined;
  if (body instanceof Uint8Array) return body;
  return new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body));
}

function parseQuery(search: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(search)) {
    const old = query[key];
    query[key] = old === undefined ? value : [...(typeof old === 'string' ? [old] : old), value];
  }
  return query;
}

/** The default stores: Dexie over fake-indexeddb behind the row cache, as the extension runs. */
async function dexieStores(): Promise<{ store: Store; blobs: BlobStore }> {
  const name = `hs-test-${++databases}-${Date.now()}`;
  const opened = await openDexieStore(name, SCHEMA, { indexedDB, IDBKeyRange });
  return {
    store: cachedHomeserverStore(opened, SCHEMA),
    blobs: await openDexieBlobStore(`${name}-media`, { indexedDB, IDBKeyRange }),
  };
}

export async function createTestHomeserver(options: TestHomeserverOptions = {}): Promise<TestHomeserver> {
  const stores = await (options.stores ?? dexieStores)();
  const store = stores.store;
  const base = await homeserverDeps(store);
  const errors: string[] = [];
  const log = () => {};
  const logger: Logger = {
    debug: log,
    info: log,
    warn: log,
    error: (msg, fields) => errors.push(`${msg} ${JSON.stringify(fields)}`),
  };
  const transport = options.transport?.(base.serverName);
  const blobs = stores.blobs;
  const hs = createHomeserver({
    ...base,
    ...(transport && { transport }),
    ...(options.nodeName !== undefined && { nodeName: async () => options.nodeName }),
    ...(options.turn && { turn: options.turn }),
    clock: options.clock ?? systemClock,
    logger,
    config: { ...base.config, ...options.config },
    media: {
      blobs,
      thumbnailer: options.thumbnailer ?? sharpThumbnailer,
      ...(options.media && { config: options.media }),
    },
  });

  async function request(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
    headers: Record<string, string> = {},
  ) {
    const [pathname = '', search = ''] = path.split('?', 2);
    const bytes = toBytes(body);
    const req: HsRequest = {
      method,
      path: pathname,
      query: parseQuery(search),
      headers: {
        host: 'localhost:8008',
        ...(bytes ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
      },
      ...(bytes ? { body: bytes } : {}),
    };
    const res = await hs.handle(req);
    const out =
      res.body instanceof StreamedBody
        ? await collectBody(res.body.chunks, Number.MAX_SAFE_INTEGER).then((b) => b ?? new Uint8Array(0))
        : res.body instanceof Uint8Array
          ? res.body
          : JSON.parse(JSON.stringify(res.body ?? null));
    return { status: res.status, headers: res.headers, body: out };
  }

  async function register(username: string, password = TEST_PASSWORD): Promise<Credentials> {
    const first = await request('POST', '/_matrix/client/v3/register', { username, password });
    if (first.status !== 401)
      throw new Error(`register ${username}: ${first.status} ${JSON.stringify(first.body)}`);
    const auth = { type: 'm.login.dummy', session: first.body.session };
    const res = await request('POST', '/_matrix/client/v3/register', { username, password, auth });
    if (res.status !== 200)
      throw new Error(`register ${username}: ${res.status} ${JSON.stringify(res.body)}`);
    return { userId: res.body.user_id, accessToken: res.body.access_token, deviceId: res.body.device_id };
  }

  return {
    hs,
    store,
    serverName: base.serverName,
    errors,
    request,
    register,
    async close() {
      await hs.close();
      await transport?.close();
      await store.close();
      await blobs.close();
    },
  };
}

/** The set-up most homeserver tests share: a test homeserver with alice and bob registered on it. */
export interface AliceAndBob {
  readonly t: TestHomeserver;
  readonly alice: Credentials;
  readonly bob: Credentials;
}

/** A homeserver (`options` as createTestHomeserver's) with alice and bob; the caller closes `t`. */
export async function homeserverWithAliceAndBob(options: TestHomeserverOptions = {}): Promise<AliceAndBob> {
  const t = await createTestHomeserver(options);
  const alice = await t.register('alice');
  const bob = await t.register('bob');
  return { t, alice, bob };
}
