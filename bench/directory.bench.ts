// The network-wide room directory: a client's publicRooms (no `server`) on
// one homeserver while 10 peers each publish 10 rooms, so every listing asks
// 10 peers in parallel and merges 100 rooms. Homeservers are in one process
// on SQLite in memory, joined by the in-memory peer transport (JSON copied as
// on the wire, no network): this measures the directory's own cost; the
// libp2p round trip is in federation-transport.bench.ts (about 1 ms on
// loopback) and adds to it once, as peers are asked in parallel.
//  - first page (20 rooms) of the merged listing, p50/p95;
//  - a search across the network (POST with generic_search_term), p50/p95;
//  - the next page, served from the listing the first page gathered;
//  - the listing while one more peer never answers: bounded by the per-peer timeout.
// Run alone: `node bench/directory.bench.ts`.

import { performance } from 'node:perf_hooks';
import { createMemoryNetwork, type MemoryNetwork } from '../src/core/federation/memory-transport.ts';
import { createHomeserver, type Homeserver } from '../src/core/homeserver.ts';
import { bootstrapIdentity } from '../src/core/identity.ts';
import { silentLogger, systemClock } from '../src/core/ports.ts';
import { randomBytes } from '../src/core/protocol/crypto.ts';
import type { Store } from '../src/core/storage/port.ts';
import { SCHEMA } from '../src/core/storage/schema.ts';
import { openSqliteStore } from '../src/node/storage/sqlite-store.ts';

const PEERS = 10;
const ROOMS_PER_PEER = 10;
const QUERIES = 200;

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field.
type Json = any;

interface Node {
  readonly hs: Homeserver;
  readonly store: Store;
  readonly token: string;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function call(node: Pick<Node, 'hs'>, method: string, path: string, body?: unknown, token?: string) {
  const res = await node.hs.handle({
    method,
    path,
    query: {},
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(body === undefined ? {} : { body: new TextEncoder().encode(JSON.stringify(body)) }),
  });
  return res as { status: number; body: Json };
}

async function startNode(network: MemoryNetwork, username: string): Promise<Node> {
  const store = await openSqliteStore(':memory:', SCHEMA);
  const identity = await bootstrapIdentity(store, randomBytes);
  const hs = createHomeserver({
    store,
    clock: systemClock,
    logger: silentLogger,
    serverName: identity.serverName,
    signingSeed: identity.seed,
    config: { registration: 'open', passwordIterations: 1000 },
    transport: network.transport(identity.serverName),
  });
  const body = { username, password: 'bench password' };
  const first = await call({ hs }, 'POST', '/_matrix/client/v3/register', body);
  const auth = { type: 'm.login.dummy', session: first.body.session };
  const done = await call({ hs }, 'POST', '/_matrix/client/v3/register', { ...body, auth });
  return { hs, store, token: done.body.access_token };
}

async function timed(runs: number, fn: () => Promise<unknown>) {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { p50: round(quantile(ms, 0.5)), p95: round(quantile(ms, 0.95)) };
}

export default async function directoryBench(): Promise<Record<string, number>> {
  const network = createMemoryNetwork();
  const client = await startNode(network, 'reader');
  const peers = await Promise.all(Array.from({ length: PEERS }, (_, i) => startNode(network, `owner${i}`)));
  try {
    for (const [i, peer] of peers.entries()) {
      for (let r = 0; r < ROOMS_PER_PEER; r++) {
        const room = { visibility: 'public', name: `Room ${r} of peer ${i}`, topic: `topic ${i}.${r}` };
        const res = await call(peer, 'POST', '/_matrix/client/v3/createRoom', room, peer.token);
        if (res.status !== 200) throw new Error(`bench: createRoom ${res.status}`);
      }
    }
    const firstPage = () =>
      call(client, 'POST', '/_matrix/client/v3/publicRooms', { limit: 20 }, client.token);
    const check = await firstPage();
    if (check.body.total_room_count_estimate !== PEERS * ROOMS_PER_PEER)
      throw new Error(`bench: listed ${check.body.total_room_count_estimate} rooms`);

    const listing = await timed(QUERIES, firstPage);
    const search = await timed(QUERIES, () =>
      call(
        client,
        'POST',
        '/_matrix/client/v3/publicRooms',
        { filter: { generic_search_term: 'peer 7' } },
        client.token,
      ),
    );
    const since = check.body.next_batch;
    const nextPage = await timed(QUERIES, () =>
      call(client, 'POST', '/_matrix/client/v3/publicRooms', { limit: 20, since }, client.token),
    );

    const silent = network.transport('5'.repeat(64));
    silent.onRequest(() => new Promise(() => {}));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const stalled = await timed(3, firstPage);
    await silent.close();

    return {
      'network listing, first page (ms) p50': listing.p50,
      'network listing, first page (ms) p95': listing.p95,
      'network search (ms) p50': search.p50,
      'network search (ms) p95': search.p95,
      'next page from the gathered listing (ms) p50': nextPage.p50,
      'listing with one silent peer (ms) p50': stalled.p50,
    };
  } finally {
    for (const node of [client, ...peers]) {
      await node.hs.close();
      await node.store.close();
    }
  }
}

if (import.meta.main) console.log(await directoryBench());
