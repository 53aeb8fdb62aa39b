// N homeservers in one process, federating over the in-memory network
// (src/core/federation/memory-transport.ts), each with its own in-memory
// SQLite store. Tests drive them as clients would (register, createRoom,
// send, sync) and cut the network with disconnect/reconnect.
//
//   const cluster = await createFederatedCluster(['a', 'b']);
//   const alice = await cluster.node('a').register('alice');
//   ...
//   await cluster.close();
import type { DirectoryTimeouts } from '../../src/core/federation/api.ts';
import type { Federation, FederationOptions } from '../../src/core/federation/federation.ts';
import { type MemoryNetwork, createMemoryNetwork } from '../../src/core/federation/memory-transport.ts';
import type { PeerTransport } from '../../src/core/federation/transport.ts';
import { createHomeserver, type Homeserver } from '../../src/core/homeserver.ts';
import type { HsRequest } from '../../src/core/http/types.ts';
import type { MediaConfig } from '../../src/core/media/api.ts';
import type { Clock, Logger } from '../../src/core/ports.ts';
import { type Ed25519, encodeHex } from '../../src/core/protocol.ts';
import { ed25519, pbkdf2 } from './ed25519.ts';
import type { Store } from '../../src/core/storage/port.ts';
import { SCHEMA } from '../../src/core/schema.ts';
import { openSqliteStore } from '../../src/node/storage/sqlite-store.ts';
import { openDexieStore } from '../../src/platform/dexie/dexie-store.ts';
import { cachedHomeserverStore } from '../../src/core/homeserver-store.ts';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { systemClock } from '../../src/platform/system-clock.ts';
import { systemRandomBytes } from '../../src/platform/system-random.ts';
import { memoryBlobStore } from '../../src/core/storage/memory-blob-store.ts';
import { sharpThumbnailer } from '../../src/node/media/sharp-thumbnailer.ts';

// biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field, as a client would.
export type Json = any;

export interface Reply {
  readonly status: number;
  readonly body: Json;
}

export interface Account {
  readonly userId: string;
  readonly accessToken: string;
}

export interface ClusterNode {
  readonly label: string;
  /** The homeserver itself (raw requests: media bodies in and out). */
  readonly homeserver: Homeserver;
  readonly serverName: string;
  readonly store: Store;
  readonly transport: PeerTransport;
  readonly federation: Federation;
  /** What the node logged at warn and error level. */
  readonly problems: string[];
  /** A client request; `path` may carry a query string; `body` is sent as JSON. */
  request(method: string, path: string, body?: unknown, token?: string): Promise<Reply>;
  register(username: string): Promise<Account>;
  /** `@name:<serverName>` */
  user(name: string): string;
}

export interface Cluster {
  readonly network: MemoryNetwork;
  readonly nodes: readonly ClusterNode[];
  node(label: string): ClusterNode;
  /**
   * Stops the node as a crash would (nothing in memory survives) and starts a
   * new one over the same store; returns the new node (also in `nodes`).
   */
  restart(label: string): Promise<ClusterNode>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  readonly clock?: Clock;
  readonly federation?: Partial<FederationOptions>;
  readonly media?: Partial<MediaConfig>;
  readonly directory?: Partial<DirectoryTimeouts>;
  /** What a node's homeserver reaches its new store through (a test's wrapper), by the node's label. */
  readonly wrapStore?: (label: string, store: Store) => Store;
  /** Every node's Ed25519 (Node's WebCrypto when not given). */
  readonly ed25519?: Ed25519;
  /** Every node's Ed25519 for a received transaction's checks (HomeserverDeps.ed25519Aside). */
  readonly ed25519Aside?: Ed25519;
  /** The nodes' stores: SQLite in memory, or as FED_STORE says (default), or IndexedDB as the extension's. */
  readonly store?: 'sqlite' | 'dexie';
}

/** A deterministic seed per label, so server names are stable across runs. */
export function seedFor(label: string): Uint8Array {
  const seed = new Uint8Array(32);
  for (let i = 0; i < 32; i++) seed[i] = (label.charCodeAt(i % label.length) * (i + 7)) & 0xff;
  return seed;
}

function parseQuery(search: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(search)) {
    const old = query[key];
    query[key] = old === undefined ? value : [...(typeof old === 'string' ? [old] : old), value];
  }
  return query;
}

export async function createFederatedCluster(
  labels: readonly string[],
  options: ClusterOptions = {},
): Promise<Cluster> {
  const clock = options.clock ?? systemClock;
  const network = createMemoryNetwork(clock);
  const nodes: RunningNode[] = [];
  const start = async (label: string, store?: Store) => {
    const serverName = await serverNameFor(label);
    const wrapped = store ?? options.wrapStore?.(label, await openStore(options.store));
    return startFederatedNode({
      label,
      transport: network.transport(serverName),
      clock,
      options,
      ...(wrapped && { store: wrapped }),
    });
  };
  for (const label of labels) nodes.push(await start(label));
  const find = (label: string) => {
    const index = nodes.findIndex((n) => n.label === label);
    if (index < 0) throw new Error(`no node ${label}`);
    return index;
  };
  return {
    network,
    nodes,
    node: (label) => nodes[find(label)]!,
    async restart(label) {
      const index = find(label);
      const old = nodes[index]!;
      await old.stop();
      const fresh = await start(label, old.store);
      nodes[index] = fresh;
      return fresh;
    },
    close: async () => {
      for (const node of nodes) {
        await node.stop();
        await node.store.close();
      }
    },
  };
}

let databases = 0;

/** An in-memory SQLite store; FED_STORE=dexie runs the same over IndexedDB (fake-indexeddb) as the extension does. */
async function openStore(kind = process.env.FED_STORE === 'dexie' ? 'dexie' : 'sqlite'): Promise<Store> {
  if (kind !== 'dexie') return openSqliteStore(':memory:', SCHEMA, { synchronous: 'normal' });
  // As the extension opens it: IndexedDB behind the row cache.
  const store = await openDexieStore(`fed-${++databases}`, SCHEMA, {
    indexedDB: new IDBFactory(),
    IDBKeyRange,
  });
  return cachedHomeserverStore(store, SCHEMA);
}

export interface RunningNode extends ClusterNode {
  /** Stops everything but the store (and closes the transport). */
  stop(): Promise<void>;
}

/** The server name of a label's seed (seedFor). */
export async function serverNameFor(label: string): Promise<string> {
  return encodeHex(await ed25519.publicKey(seedFor(label)));
}

export interface NodeOptions {
  readonly label: string;
  /** Its server name must be serverNameFor(label) (a libp2p transport made from seedFor(label)). */
  readonly transport: PeerTransport;
  readonly clock?: Clock;
  readonly options?: ClusterOptions;
  /** Default: a new in-memory SQLite store. */
  readonly store?: Store;
}

/**
 * One homeserver as createHomeserver composes it, over any transport (the
 * cluster's nodes, benches over libp2p).
 */
export async function startFederatedNode(node: NodeOptions): Promise<RunningNode> {
  const { label, transport } = node;
  const clock = node.clock ?? systemClock;
  const options = node.options ?? {};
  const seed = seedFor(label);
  const serverName = await serverNameFor(label);
  if (transport.serverName !== serverName) throw new Error(`the transport of ${label} is not ${serverName}`);
  const store = node.store ?? (await openStore(options.store));
  const problems: string[] = [];
  const trace = process.env.FED_DEBUG !== undefined;
  const log =
    (level: string, keep: boolean) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      if (keep) problems.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);
      if (trace) console.error(label, level, msg, fields ?? '');
    };
  const logger: Logger = {
    debug: log('debug', false),
    info: log('info', false),
    warn: log('warn', true),
    error: log('error', true),
  };
  const hs = createHomeserver({
    store,
    clock,
    randomBytes: systemRandomBytes,
    logger,
    serverName,
    signingSeed: seed,
    ed25519: options.ed25519 ?? ed25519,
    ...(options.ed25519Aside && { ed25519Aside: options.ed25519Aside }),
    pbkdf2,
    config: { registration: 'open', passwordIterations: 1000 },
    transport,
    ...(options.federation && { federationOptions: options.federation }),
    ...(options.directory && { directoryTimeouts: options.directory }),
    media: {
      blobs: memoryBlobStore(),
      thumbnailer: sharpThumbnailer,
      ...(options.media && { config: options.media }),
    },
  });
  const federation = hs.federation!;

  const request = async (method: string, path: string, body?: unknown, token?: string): Promise<Reply> => {
    const [pathname = '', search = ''] = path.split('?', 2);
    const bytes = body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(body));
    const req: HsRequest = {
      method,
      path: pathname,
      query: parseQuery(search),
      headers: {
        ...(bytes ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(bytes ? { body: bytes } : {}),
    };
    const res = await hs.handle(req);
    return { status: res.status, body: JSON.parse(JSON.stringify(res.body ?? null)) };
  };
  return {
    label,
    homeserver: hs,
    serverName,
    store,
    transport,
    federation,
    problems,
    request,
    user: (name: string) => `@${name}:${serverName}`,
    async register(username: string): Promise<Account> {
      const password = 'correct horse battery staple';
      const first = await request('POST', '/_matrix/client/v3/register', { username, password });
      const auth = { type: 'm.login.dummy', session: first.body.session };
      const res = await request('POST', '/_matrix/client/v3/register', { username, password, auth });
      if (res.status !== 200)
        throw new Error(`register ${username}: ${res.status} ${JSON.stringify(res.body)}`);
      return { userId: res.body.user_id, accessToken: res.body.access_token };
    },
    async stop() {
      await hs.close();
      await transport.close();
    },
  };
}

/** Polls `check` until it returns a value other than undefined/false; fails after `guardMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  guardMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + guardMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
