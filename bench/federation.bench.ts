// Room federation between homeservers in one process (in-memory SQLite stores):
//  - PDUs/s received and fully checked (format, signature, content hash,
//    auth against auth events, state before and current state, persisted),
//    transactions of 50 over the in-memory transport, one after the other;
//  - send on A → the user's /sync long-poll on B returns it, p50/p95 over 500
//    messages, over the in-memory transport and over libp2p websockets on
//    127.0.0.1 through a relay;
//  - a peer that missed 1,000 events: from its reconnect until it holds them all.
// Run alone: `node bench/federation.bench.ts`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { PeerTransport } from '../src/core/federation/transport.ts';
import type { JsonObject } from '../src/core/protocol.ts';
import { eventRowOf, roomTableNames } from '../src/core/rooms/federation-api.ts';
import { createLibp2pTransport } from '../src/node/p2p/create-libp2p-transport.ts';
import { startRelay } from '../src/node/relay.ts';
import {
  type Account,
  type ClusterNode,
  type Json,
  createFederatedCluster,
  eventually,
  seedFor,
  startFederatedNode,
} from '../test/support/federated-cluster.ts';
import { roomChain, sendTransaction, TRANSACTION_PDUS } from './signed-chain.ts';
import { measured, quick } from './table.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

interface Pair {
  readonly a: ClusterNode;
  readonly b: ClusterNode;
  readonly alice: Account;
  readonly bob: Account;
  readonly roomId: string;
}

/** Alice on A creates a room, bob on B joins it. */
async function pairRoom(a: ClusterNode, b: ClusterNode): Promise<Pair> {
  return newRoom({ a, b, alice: await a.register('alice'), bob: await b.register('bob') });
}

/** Another room of the same two users. */
async function newRoom({ a, b, alice, bob }: Omit<Pair, 'roomId'>): Promise<Pair> {
  const roomId = (await a.request('POST', `${V3}/createRoom`, { preset: 'public_chat' }, alice.accessToken))
    .body.room_id;
  const joined = await b.request(
    'POST',
    `${V3}/join/${enc(roomId)}?server_name=${a.serverName}`,
    {},
    bob.accessToken,
  );
  if (joined.status !== 200) throw new Error(`join failed: ${JSON.stringify(joined.body)}`);
  await eventually(async () => {
    const res = await a.request(
      'GET',
      `${V3}/rooms/${enc(roomId)}/joined_members`,
      undefined,
      alice.accessToken,
    );
    return Object.keys(res.body.joined ?? {}).length === 2;
  }, 'bob joined on A');
  return { a, b, alice, bob, roomId };
}

let txn = 0;
function send(node: ClusterNode, who: Account, roomId: string, text: string): Promise<Json> {
  const path = `${V3}/rooms/${enc(roomId)}/send/m.room.message/b${++txn}`;
  return node.request('PUT', path, { msgtype: 'm.text', body: text }, who.accessToken);
}

/** Events by alice (signed with A's key) continuing B's view of the room, in transactions of 50. */
function aliceChain(pair: Pair, count: number): Promise<JsonObject[][]> {
  return signedChain(pair.a, pair.alice, pair.roomId, pair.b, count);
}

/**
 * `count` messages by `sender`, a user of `a`, signed with `a`'s key, each
 * the next of the one before from the forward extremity of `view`'s copy of
 * the room, in transactions of 50.
 */
export async function signedChain(
  a: ClusterNode,
  sender: Account,
  roomId: string,
  view: ClusterNode,
  count: number,
): Promise<JsonObject[][]> {
  const chain = await roomChain(a, sender, roomId, view);
  const batches: JsonObject[][] = [];
  for (let i = 0; i < count; i++) {
    if (i % TRANSACTION_PDUS === 0) batches.push([]);
    batches[batches.length - 1]!.push(
      await chain.next('m.room.message', { msgtype: 'm.text', body: `bulk ${i}` }),
    );
  }
  return batches;
}

/** Transactions of each stream after which the process counts as warm (its code compiled). */
const WARM_AFTER = 10;

/**
 * Sends the transactions one after the other, as one sending server does;
 * checks every PDU was accepted. Resolves to when the WARM_AFTER-th was answered.
 */
async function sendAll(pair: Pair, batches: readonly JsonObject[][], tag: string): Promise<number> {
  let warm = performance.now();
  for (const [i, pdus] of batches.entries()) {
    await sendTransaction(pair.a.transport, pair.a.serverName, pair.b.serverName, `${tag}.${i}`, pdus);
    if (i + 1 === WARM_AFTER) warm = performance.now();
  }
  return warm;
}

/**
 * With P2PM_CPU_PROFILE=<directory>, a CPU profile of the main thread from
 * here until the returned function is called (the sending alone, not the
 * signing of the chain before it), written as <directory>/<name>.cpuprofile.
 */
export async function cpuProfile(): Promise<(name: string) => Promise<void>> {
  const directory = process.env.P2PM_CPU_PROFILE;
  if (!directory) return async () => {};
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async (name) => {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(directory, { recursive: true });
    writeFileSync(`${directory}/${name}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
  };
}

/**
 * `count` PDUs in transactions of 50, over `streams` rooms sent in parallel
 * (one stream: one sender): PDUs per second, and the CPU time per PDU of the
 * process (main thread and the crypto threads together) and of the main
 * thread alone (the one that parses, checks and stores: 10,000/s needs it
 * under 100 µs; signatures are checked on other threads). `warmRate`: the
 * rate after each stream's first WARM_AFTER transactions (a fresh process's
 * first ones take several times as long each, compiling; printed beside the
 * rate, which counts them).
 */
async function pdusPerSecond(
  count: number,
  streams = 1,
): Promise<{ rate: number; warmRate: number; cpuMicros: number; mainCpuMicros: number }> {
  const cluster = await createFederatedCluster(['a', 'b']);
  try {
    const first = await pairRoom(cluster.node('a'), cluster.node('b'));
    const pairs = [first];
    while (pairs.length < streams) pairs.push(await newRoom(first));
    const work = await Promise.all(pairs.map((pair) => aliceChain(pair, Math.ceil(count / streams))));
    const profile = await cpuProfile();
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const m0 = process.threadCpuUsage();
    const warm = Math.max(
      ...(await Promise.all(pairs.map((pair, i) => sendAll(pair, work[i]!, `bench${i}`)))),
    );
    const end = performance.now();
    const cpu = process.cpuUsage(c0);
    const main = process.threadCpuUsage(m0);
    await profile(`ingest-${streams}`);
    const sent = work.flat(2).length;
    const warmSent = work
      .map((batches) => batches.slice(WARM_AFTER).flat().length)
      .reduce((a, b) => a + b, 0);
    return {
      rate: (sent / (end - t0)) * 1000,
      warmRate: (warmSent / (end - warm)) * 1000,
      cpuMicros: (cpu.user + cpu.system) / sent,
      mainCpuMicros: (main.user + main.system) / sent,
    };
  } finally {
    await cluster.close();
  }
}

/** Send → sync times in milliseconds, sorted, and the main thread's CPU time (ms) over all of them. */
interface Latencies {
  readonly times: number[];
  readonly mainCpuMs: number;
}

/** Send on A → bob's long-polling sync on B returns it, `count` times. */
async function sendToSync(pair: Pair, count: number): Promise<Latencies> {
  const { a, b, alice, bob, roomId } = pair;
  let since = (await b.request('GET', `${V3}/sync`, undefined, bob.accessToken)).body.next_batch;
  const times: number[] = [];
  const cpu0 = process.threadCpuUsage();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const sent = await send(a, alice, roomId, `latency ${i}`);
    const eventId = sent.body.event_id;
    for (;;) {
      const res = await b.request(
        'GET',
        `${V3}/sync?since=${enc(since)}&timeout=30000`,
        undefined,
        bob.accessToken,
      );
      since = res.body.next_batch;
      const events = res.body.rooms?.join?.[roomId]?.timeline?.events ?? [];
      if (events.some((e: Json) => e.event_id === eventId)) break;
    }
    times.push(performance.now() - t0);
  }
  const cpu = process.threadCpuUsage(cpu0);
  return { times: times.sort((x, y) => x - y), mainCpuMs: (cpu.user + cpu.system) / 1000 };
}

async function latencyInMemory(count: number): Promise<Latencies> {
  const cluster = await createFederatedCluster(['a', 'b']);
  try {
    return await sendToSync(await pairRoom(cluster.node('a'), cluster.node('b')), count);
  } finally {
    await cluster.close();
  }
}

async function latencyOverLibp2p(count: number): Promise<Latencies> {
  const relay = await startRelay();
  const transports: PeerTransport[] = [];
  const nodes: Awaited<ReturnType<typeof startFederatedNode>>[] = [];
  try {
    for (const label of ['la', 'lb']) {
      transports.push(await createLibp2pTransport({ seed: seedFor(label), relays: relay.multiaddrs }));
    }
    const [ta, tb] = transports as [PeerTransport, PeerTransport];
    await eventually(async () => ta.peers().includes(tb.serverName), 'the peers find each other');
    for (const [i, label] of ['la', 'lb'].entries())
      nodes.push(await startFederatedNode({ label, transport: transports[i]! }));
    return await sendToSync(await pairRoom(nodes[0]!, nodes[1]!), count);
  } finally {
    for (const node of nodes) {
      await node.stop();
      await node.store.close();
    }
    await relay.stop();
  }
}

/** B misses `count` messages while cut off; from its reconnect until it holds the last one (ms). */
async function catchUp(count: number): Promise<number> {
  const cluster = await createFederatedCluster(['a', 'b']);
  try {
    const pair = await pairRoom(cluster.node('a'), cluster.node('b'));
    cluster.network.disconnect(pair.b.serverName);
    let last = '';
    for (let i = 0; i < count; i++)
      last = (await send(pair.a, pair.alice, pair.roomId, `missed ${i}`)).body.event_id;
    const t0 = performance.now();
    cluster.network.reconnect(pair.b.serverName);
    await eventually(
      async () =>
        (await pair.b.store.read(roomTableNames, (tx) => eventRowOf(tx, last)))?.stream !== undefined,
      'B caught up',
      120_000,
    );
    return performance.now() - t0;
  } finally {
    await cluster.close();
  }
}

export default async function federationBench(): Promise<Record<string, number>> {
  const perSecond = await pdusPerSecond(quick ? 2_000 : 5_000);
  const perSecondParallel = await pdusPerSecond(quick ? 2_000 : 5_000, 4);
  const memory = (await latencyInMemory(quick ? 100 : 500)).times;
  const libp2p = (await latencyOverLibp2p(quick ? 100 : 500)).times;
  const caughtUp = await catchUp(quick ? 300 : 1_000);
  measured('fed.ingest.node', perSecond.rate);
  measured('fed.ingest.node.parallel', perSecondParallel.rate);
  measured('fed.send-sync.libp2p.p50', quantile(libp2p, 0.5));
  return {
    'PDUs/s received, checked and persisted (one sender, transactions of 50)': Math.round(perSecond.rate),
    [`the same after the first ${WARM_AFTER} transactions (warm)`]: Math.round(perSecond.warmRate),
    'CPU time per PDU received (µs, all threads)': Math.round(perSecond.cpuMicros),
    'CPU time per PDU received (µs, main thread)': Math.round(perSecond.mainCpuMicros),
    'PDUs/s received, checked and persisted (4 rooms sent in parallel)': Math.round(perSecondParallel.rate),
    [`the same after each room's first ${WARM_AFTER} transactions (warm)`]: Math.round(
      perSecondParallel.warmRate,
    ),
    'send on A → sync on B, in-memory transport, p50 (ms)': quantile(memory, 0.5),
    'send on A → sync on B, in-memory transport, p95 (ms)': quantile(memory, 0.95),
    'send on A → sync on B, libp2p websockets, p50 (ms)': quantile(libp2p, 0.5),
    'send on A → sync on B, libp2p websockets, p95 (ms)': quantile(libp2p, 0.95),
    [`reconnect → caught up with ${quick ? 300 : '1,000'} missed events (ms)`]: Math.round(caughtUp),
  };
}

/** p50, p95 and max of the times, and the main thread's CPU time per message. */
function spread({ times: sorted, mainCpuMs }: Latencies): Record<string, number> {
  const ms = (x: number) => Math.round(x * 1000) / 1000;
  return {
    p50: ms(quantile(sorted, 0.5)),
    p95: ms(quantile(sorted, 0.95)),
    max: ms(sorted.at(-1)!),
    'main CPU per message': ms(mainCpuMs / sorted.length),
  };
}

// `node bench/federation.bench.ts pdus` measures the PDU throughput alone;
// `… latency [count]` send → sync alone, over the in-memory transport and over
// libp2p (with the main thread's CPU time per message, steadier than wall
// time on a shared machine).
if (import.meta.main) {
  const mode = process.argv[2];
  if (mode === 'pdus') console.log([await pdusPerSecond(5_000), await pdusPerSecond(5_000, 4)]);
  else if (mode === 'latency') {
    const count = Number(process.argv[3] ?? 300);
    const memory = spread(await latencyInMemory(count));
    const libp2p = spread(await latencyOverLibp2p(count));
    console.log({ memory, libp2p });
  } else console.log(await federationBench());
}
