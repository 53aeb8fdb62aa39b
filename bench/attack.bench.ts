// Latency under attack (issue 12): a user's send → another user's /sync on
// one Node homeserver federating over libp2p, first quiet, then while three
// hostile peers (libp2p nodes of their own, each in the user's public room)
// flood it with invites, EDUs (presence, typing, receipts, to-device) and
// federation requests (state, events, profiles, the directory) as fast as
// the homeserver lets them. The figure is the ratio of the two in the same
// run, never an absolute time: the machine's load moves both alike. Quiet
// and attacked samples are taken in alternating blocks (BLOCKS of each per
// kind), so that a drift of the machine's load during the run (other work
// starting or ending on a shared machine) weighs on both alike.
// `node bench/attack.bench.ts edus invites` measures only the kinds named.
import { loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { roomFacts } from '../test/core/federation/rogue-peer.ts';
import type { Account, RunningNode } from '../test/support/federated-cluster.ts';
import { createLibp2pCluster } from '../test/support/libp2p-cluster.ts';
import { quantile, round } from './bench-homeserver.ts';
import type { RoguesCommand, RoguesReport, RoguesSetup } from './attack-rogues.ts';
import { measured, quick } from './table.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
const SAMPLES = quick ? 40 : 150;
/** Quiet and attacked blocks per kind, alternating; SAMPLES / BLOCKS samples each. */
const BLOCKS = quick ? 2 : 5;
const KINDS = ['edus', 'invites', 'requests', 'mixed'] as const;
const ROGUES = 3;
/** Requests each rogue keeps in flight (its per-peer cap is 16). */
const LOOPS_PER_ROGUE = 12;

// biome-ignore lint/suspicious/noExplicitAny: bodies are read field by field, as a client would.
type Json = any;

/** Send → the first /sync of bob's that carries the event: ms per sample, sorted. */
async function sendToSync(
  a: RunningNode,
  alice: Account,
  bob: Account,
  roomId: string,
  label: string,
  samples: number,
) {
  let since = (await a.request('GET', `${V3}/sync?timeout=0`, undefined, bob.accessToken)).body.next_batch;
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    const sent = await a.request(
      'PUT',
      `${V3}/rooms/${enc(roomId)}/send/m.room.message/${label}${i}`,
      { msgtype: 'm.text', body: `${label} ${i}` },
      alice.accessToken,
    );
    if (sent.status !== 200) throw new Error(`bench: send answered ${sent.status}`);
    // Other things may wake bob's sync first (typing, presence of the room's members): he syncs again, as a client does.
    for (;;) {
      const res = await a.request(
        'GET',
        `${V3}/sync?timeout=30000&since=${enc(since)}`,
        undefined,
        bob.accessToken,
      );
      if (res.status !== 200) throw new Error(`bench: sync answered ${res.status}`);
      since = res.body.next_batch;
      const events: Json[] = res.body.rooms?.join?.[roomId]?.timeline?.events ?? [];
      if (events.some((e) => e.event_id === sent.body.event_id)) break;
    }
    latencies.push(performance.now() - t0);
  }
  return latencies;
}

/** The rogues' worker (attack-rogues.ts) and its replies, one at a time. */
function roguesWorker(setup: RoguesSetup) {
  const worker = new Worker(new URL('./attack-rogues.ts', import.meta.url), { workerData: setup });
  const replies: RoguesReport[] = [];
  const waiting: ((r: RoguesReport) => void)[] = [];
  let failed: Error | undefined;
  worker.on('message', (r: RoguesReport) => {
    const next = waiting.shift();
    if (next) next(r);
    else replies.push(r);
  });
  worker.on('error', (err) => {
    failed = err;
    for (const w of waiting.splice(0)) w({ failed: String(err) } as unknown as RoguesReport);
  });
  const reply = (): Promise<RoguesReport> => {
    if (failed) return Promise.reject(failed);
    const r = replies.shift();
    return r ? Promise.resolve(r) : new Promise((resolve) => waiting.push(resolve));
  };
  return {
    ready: reply,
    async run(command: RoguesCommand): Promise<RoguesReport> {
      worker.postMessage(command);
      return reply();
    },
    terminate: () => worker.terminate(),
  };
}

export default async function attackBench(): Promise<Record<string, number>> {
  const cluster = await createLibp2pCluster(['a']);
  let rogues: ReturnType<typeof roguesWorker> | undefined;
  try {
    const [a] = cluster.nodes as [RunningNode];
    const alice = await a.register('alice');
    const bob = await a.register('bob');
    const carol = await a.register('carol');
    const created = await a.request('POST', `${V3}/createRoom`, { preset: 'public_chat' }, alice.accessToken);
    const roomId = created.body.room_id as string;
    await a.request('POST', `${V3}/join/${enc(roomId)}`, {}, bob.accessToken);
    // The rogues join and flood from a worker thread (attack-rogues.ts): their CPU is not the victim's.
    rogues = roguesWorker({
      relays: cluster.relay.multiaddrs,
      target: a.serverName,
      roomId,
      facts: await roomFacts(a, alice.accessToken, roomId).then(
        ({ create, powerLevels, joinRules, latest }) => ({
          create,
          powerLevels,
          joinRules,
          latest,
        }),
      ),
      victim: carol.userId,
      seeds: Array.from({ length: ROGUES }, (_, i) => 0x90 + i),
      loopsPerRogue: LOOPS_PER_ROGUE,
    });
    await rogues.ready();
    // Each kind of flood alone, then all together, each paired with a quiet run just before it
    // (the machine's load drifts; the ratio of neighbours is what this measures).
    const out: Record<string, number> = {};
    const named = process.argv.slice(2).filter((arg) => (KINDS as readonly string[]).includes(arg));
    for (const kind of KINDS.filter((k) => named.length === 0 || named.includes(k))) {
      const quiet: number[] = [];
      const loaded: number[] = [];
      const counts: Record<string, number> = {};
      const started = performance.now();
      let flooding = 0;
      for (let block = 0; block < BLOCKS; block++) {
        const n = Math.ceil(SAMPLES / BLOCKS);
        quiet.push(...(await sendToSync(a, alice, bob, roomId, `quiet-${kind}-${block}-`, n)));
        const from = performance.now();
        await rogues.run({ flood: kind });
        loaded.push(...(await sendToSync(a, alice, bob, roomId, `${kind}-${block}-`, n)));
        const report = await rogues.run({ stop: true });
        flooding += performance.now() - from;
        for (const [k, v] of Object.entries('counts' in report ? report.counts : {}))
          counts[k] = (counts[k] ?? 0) + v;
      }
      quiet.sort((x, y) => x - y);
      loaded.sort((x, y) => x - y);
      const perSecond = Object.fromEntries(
        Object.entries(counts).map(([k, v]) => [k, Math.round(v / (flooding / 1000))]),
      );
      const q50 = quantile(quiet, 0.5);
      const q95 = quantile(quiet, 0.95);
      const l50 = quantile(loaded, 0.5);
      const l95 = quantile(loaded, 0.95);
      console.log(
        `${kind}: send → /sync quiet p50 ${round(q50)} ms p95 ${round(q95)} ms; under attack p50 ${round(l50)} ms p95 ${round(l95)} ms (${quiet.length} samples each, in ${BLOCKS} alternating blocks, ${round((performance.now() - started) / 1000)} s); flood from ${ROGUES} peers, per second: ${JSON.stringify(perSecond)}; load average ${loadavg()[0]!.toFixed(1)}`,
      );
      const id = kind === 'mixed' ? 'attack.send-sync' : `attack.${kind}.send-sync`;
      measured(`${id}.p50-ratio`, round(l50 / q50));
      if (kind === 'mixed') measured(`${id}.p95-ratio`, round(l95 / q95));
      out[`${kind}: quiet p50 (ms)`] = round(q50);
      out[`${kind}: under attack p50 (ms)`] = round(l50);
      out[`${kind}: p50 ratio`] = round(l50 / q50);
      out[`${kind}: p95 ratio`] = round(l95 / q95);
    }
    console.log(
      `load average: ${loadavg()
        .map((n) => n.toFixed(1))
        .join(' ')}`,
    );
    return out;
  } finally {
    await rogues?.terminate();
    await cluster.close();
  }
}

if (import.meta.main) console.log(await attackBench());
