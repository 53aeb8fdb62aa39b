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
import { createFederatedCluster } from '../test/support/federated-cluster.ts';

const PEERS = 10;
const ROOMS_PER_PEER = 10;
const QUERIES = 200;

const round = (ms: number) => Math.round(ms * 100) / 100;

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
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
  const owners = Array.from({ length: PEERS }, (_, i) => `owner${i}`);
  const cluster = await createFederatedCluster(['reader', ...owners]);
  const reader = cluster.node('reader');
  try {
    const token = (await reader.register('reader')).accessToken;
    const publicRooms = (body: object) =>
      reader.request('POST', '/_matrix/client/v3/publicRooms', body, token);
    for (const [i, label] of owners.entries()) {
      const peer = cluster.node(label);
      const owner = await peer.register(label);
      for (let r = 0; r < ROOMS_PER_PEER; r++) {
        const room = { visibility: 'public', name: `Room ${r} of peer ${i}`, topic: `topic ${i}.${r}` };
        const res = await peer.request('POST', '/_matrix/client/v3/createRoom', room, owner.accessToken);
        if (res.status !== 200) throw new Error(`bench: createRoom ${res.status}`);
      }
    }
    const firstPage = () => publicRooms({ limit: 20 });
    const check = await firstPage();
    if (check.body.total_room_count_estimate !== PEERS * ROOMS_PER_PEER)
      throw new Error(`bench: listed ${check.body.total_room_count_estimate} rooms`);

    const listing = await timed(QUERIES, firstPage);
    const search = await timed(QUERIES, () => publicRooms({ filter: { generic_search_term: 'peer 7' } }));
    const since = check.body.next_batch;
    const nextPage = await timed(QUERIES, () => publicRooms({ limit: 20, since }));

    const silent = cluster.network.transport('5'.repeat(64));
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
    await cluster.close();
  }
}

if (import.meta.main) console.log(await directoryBench());
