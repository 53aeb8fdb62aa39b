// Latency under attack (issue 12): a user's send → another user's /sync on
// one Node homeserver federating over libp2p, first quiet, then while three
// hostile peers (libp2p nodes of their own, each in the user's public room)
// flood it with invites, EDUs (presence, typing, receipts, to-device) and
// federation requests (state, events, profiles, the directory) as fast as
// the homeserver lets them. The figure is the ratio of the two in the same
// run, never an absolute time: the machine's load moves both alike.
import { loadavg } from 'node:os';
import { type RoguePeer, rogueJoins, rogueOver } from '../test/core/federation/rogue-peer.ts';
import type { Account, RunningNode } from '../test/support/federated-cluster.ts';
import { createLibp2pCluster } from '../test/support/libp2p-cluster.ts';
import { quantile, round } from './bench-homeserver.ts';
import { measured, quick } from './table.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
const SAMPLES = quick ? 40 : 150;
const ROGUES = 3;
/** Requests each rogue keeps in flight (its per-peer cap is 16). */
const LOOPS_PER_ROGUE = 12;

// biome-ignore lint/suspicious/noExplicitAny: bodies are read field by field, as a client would.
type Json = any;

/** Send → the first /sync of bob's that carries the event: ms per sample, sorted. */
async function sendToSync(a: RunningNode, alice: Account, bob: Account, roomId: string, label: string) {
  let since = (await a.request('GET', `${V3}/sync?timeout=0`, undefined, bob.accessToken)).body.next_batch;
  const latencies: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
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
  return latencies.sort((x, y) => x - y);
}

interface Flood {
  stop(): Promise<void>;
  readonly counts: Record<string, number>;
}

type FloodKind = 'invites' | 'edus' | 'requests' | 'mixed';

/** Each rogue's loops, until stopped: whatever the answer (200, 429, 403), the next request follows at once. */
function flood(
  a: RunningNode,
  rogues: readonly RoguePeer[],
  roomId: string,
  latest: string,
  victim: Account,
  kind: FloodKind,
): Flood {
  let stopped = false;
  const counts: Record<string, number> = { invites: 0, edus: 0, requests: 0, refused: 0 };
  let n = 0;
  const invite = (rogue: RoguePeer) => {
    counts.invites!++;
    return rogue.invite(a.serverName, `!flood${++n}:${rogue.serverName}`, victim.userId, [
      ['m.room.create', { creator: rogue.user('mallory') }],
      ['m.room.topic', { topic: 'x'.repeat(16_000) }],
    ]);
  };
  const edus = (rogue: RoguePeer) => {
    const user = rogue.user('mallory');
    counts.edus!++;
    return rogue.send(
      a.serverName,
      [],
      Array.from({ length: 100 }, (_, i) => {
        switch (i % 4) {
          case 0:
            return {
              edu_type: 'm.presence',
              content: {
                push: [{ user_id: user, presence: i % 8 ? 'online' : 'unavailable', last_active_ago: i }],
              },
            };
          case 1:
            return { edu_type: 'm.typing', content: { room_id: roomId, user_id: user, typing: i % 8 === 1 } };
          case 2:
            return {
              edu_type: 'm.receipt',
              content: { [roomId]: { 'm.read': { [user]: { event_ids: [latest], data: { ts: i } } } } },
            };
          default:
            return {
              edu_type: 'm.direct_to_device',
              content: {
                sender: user,
                type: 'm.flood',
                message_id: `m${++n}`,
                messages: { [victim.userId]: { '*': { n } } },
              },
            };
        }
      }),
    );
  };
  const request = (rogue: RoguePeer) => {
    counts.requests!++;
    const paths = [
      `/_matrix/federation/v1/state_ids/${enc(roomId)}?event_id=${enc(latest)}`,
      `/_matrix/federation/v1/event/${enc(latest)}`,
      `/_matrix/federation/v1/query/profile?user_id=${enc(victim.userId)}`,
      '/_matrix/federation/v1/publicRooms',
      `/_matrix/federation/v1/state/${enc(roomId)}?event_id=${enc(latest)}`,
    ];
    const [path = '', search = ''] = paths[n++ % paths.length]!.split('?');
    return rogue.transport.request(a.serverName, {
      method: 'GET',
      path,
      query: Object.fromEntries(new URLSearchParams(search)),
      origin: rogue.serverName,
    });
  };
  const kinds = {
    invites: [invite],
    edus: [edus],
    requests: [request],
    mixed: [invite, edus, request, request],
  }[kind];
  const loops = rogues.flatMap((rogue) =>
    Array.from({ length: LOOPS_PER_ROGUE }, async (_, i) => {
      const send = kinds[i % kinds.length]!;
      while (!stopped) {
        const res = await send(rogue).catch(() => undefined);
        if (!res || res.status >= 400) counts.refused!++;
      }
    }),
  );
  return {
    counts,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

export default async function attackBench(): Promise<Record<string, number>> {
  const cluster = await createLibp2pCluster(['a']);
  try {
    const [a] = cluster.nodes as [RunningNode];
    const alice = await a.register('alice');
    const bob = await a.register('bob');
    const carol = await a.register('carol');
    const created = await a.request('POST', `${V3}/createRoom`, { preset: 'public_chat' }, alice.accessToken);
    const roomId = created.body.room_id as string;
    await a.request('POST', `${V3}/join/${enc(roomId)}`, {}, bob.accessToken);
    const rogues: RoguePeer[] = [];
    let latest = '';
    for (let i = 0; i < ROGUES; i++) {
      const rogue = await rogueOver(await cluster.rogueTransport(0x90 + i), 0x90 + i);
      rogue.serve(async () => ({ status: 404, body: { errcode: 'M_NOT_FOUND', error: 'nothing here' } }));
      latest = (await rogueJoins(rogue, a, alice.accessToken, roomId)).eventId;
      rogues.push(rogue);
    }

    // Each kind of flood alone, then all together, each paired with a quiet run just before it
    // (the machine's load drifts; the ratio of neighbours is what this measures).
    const out: Record<string, number> = {};
    for (const kind of ['edus', 'invites', 'requests', 'mixed'] as const) {
      const quiet = await sendToSync(a, alice, bob, roomId, `quiet-${kind}-`);
      const attack = flood(a, rogues, roomId, latest, carol, kind);
      // The flood is running at full tilt before the first sample.
      while (Object.values(attack.counts).reduce((x, y) => x + y, 0) < ROGUES * 3)
        await new Promise((r) => setTimeout(r, 10));
      const loaded = await sendToSync(a, alice, bob, roomId, `${kind}-`);
      await attack.stop();
      const q50 = quantile(quiet, 0.5);
      const q95 = quantile(quiet, 0.95);
      const l50 = quantile(loaded, 0.5);
      const l95 = quantile(loaded, 0.95);
      console.log(
        `${kind}: send → /sync quiet p50 ${round(q50)} ms p95 ${round(q95)} ms; under attack p50 ${round(l50)} ms p95 ${round(l95)} ms (${SAMPLES} samples each); flood from ${ROGUES} peers: ${JSON.stringify(attack.counts)}`,
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
    await cluster.close();
  }
}

if (import.meta.main) console.log(await attackBench());
