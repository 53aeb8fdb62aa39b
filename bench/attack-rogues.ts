// The hostile peers of bench/attack.bench.ts, in a worker thread of their
// own: an attacker's CPU (signing, Noise, building requests) is on its own
// machine, so it must not run on the victim's event loop and count as the
// victim's slowness. The worker starts the rogues' libp2p nodes on the
// bench's relay, joins them to the room (facts read by the bench), and
// floods on request; the bench's thread holds the homeserver alone.
import { parentPort, workerData } from 'node:worker_threads';
import { createLibp2pTransport } from '../src/node/p2p/create-libp2p-transport.ts';
import { type RoguePeer, rogueOver, sendRogueJoin } from '../test/core/federation/rogue-peer.ts';

export type FloodKind = 'invites' | 'edus' | 'requests' | 'mixed';

export interface RoguesSetup {
  readonly relays: readonly string[];
  readonly target: string;
  readonly roomId: string;
  readonly facts: {
    readonly create: string;
    readonly powerLevels: string;
    readonly joinRules: string;
    readonly latest: string;
  };
  /** The local user invites and to-device messages are aimed at. */
  readonly victim: string;
  readonly seeds: readonly number[];
  /** Requests each rogue keeps in flight (its per-peer cap is 16). */
  readonly loopsPerRogue: number;
}

/** Bench → worker. */
export type RoguesCommand =
  | { readonly flood: FloodKind }
  | { readonly stop: true }
  | { readonly close: true };
/** Worker → bench: ready after the joins; counts after each stop. */
export type RoguesReport =
  | { readonly ready: true }
  | { readonly started: true }
  | { readonly counts: Record<string, number> }
  | { readonly closed: true };

const enc = encodeURIComponent;
const setup = workerData as RoguesSetup;
const port = parentPort!;

const rogues: RoguePeer[] = [];
let latest = setup.facts.latest;
for (const seed of setup.seeds) {
  const transport = await createLibp2pTransport({
    seed: new Uint8Array(32).fill(seed),
    relays: [...setup.relays],
  });
  await new Promise<void>((resolve) => {
    const check = () => transport.peers().includes(setup.target) && resolve();
    transport.onPeer(check);
    check();
  });
  const rogue = await rogueOver(transport, seed);
  rogue.serve(async () => ({ status: 404, body: { errcode: 'M_NOT_FOUND', error: 'nothing here' } }));
  latest = await sendRogueJoin(rogue, setup.target, setup.roomId, { ...setup.facts, latest });
  rogues.push(rogue);
}

let n = 0;
const counts: Record<string, number> = {};
const invite = (rogue: RoguePeer) => {
  counts.invites = (counts.invites ?? 0) + 1;
  return rogue.invite(setup.target, `!flood${++n}:${rogue.serverName}`, setup.victim, [
    ['m.room.create', { creator: rogue.user('mallory') }],
    ['m.room.topic', { topic: 'x'.repeat(16_000) }],
  ]);
};
const edus = (rogue: RoguePeer) => {
  const user = rogue.user('mallory');
  counts.edus = (counts.edus ?? 0) + 1;
  return rogue.send(
    setup.target,
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
          return {
            edu_type: 'm.typing',
            content: { room_id: setup.roomId, user_id: user, typing: i % 8 === 1 },
          };
        case 2:
          return {
            edu_type: 'm.receipt',
            content: { [setup.roomId]: { 'm.read': { [user]: { event_ids: [latest], data: { ts: i } } } } },
          };
        default:
          return {
            edu_type: 'm.direct_to_device',
            content: {
              sender: user,
              type: 'm.flood',
              message_id: `m${++n}`,
              messages: { [setup.victim]: { '*': { n } } },
            },
          };
      }
    }),
  );
};
const request = (rogue: RoguePeer) => {
  counts.requests = (counts.requests ?? 0) + 1;
  const paths = [
    `/_matrix/federation/v1/state_ids/${enc(setup.roomId)}?event_id=${enc(latest)}`,
    `/_matrix/federation/v1/event/${enc(latest)}`,
    `/_matrix/federation/v1/query/profile?user_id=${enc(setup.victim)}`,
    '/_matrix/federation/v1/publicRooms',
    `/_matrix/federation/v1/state/${enc(setup.roomId)}?event_id=${enc(latest)}`,
  ];
  const [path = '', search = ''] = paths[n++ % paths.length]!.split('?');
  return rogue.transport.request(setup.target, {
    method: 'GET',
    path,
    query: Object.fromEntries(new URLSearchParams(search)),
    origin: rogue.serverName,
  });
};
const KINDS = {
  invites: [invite],
  edus: [edus],
  requests: [request],
  mixed: [invite, edus, request, request],
};

let stopped = true;
let loops: Promise<void>[] = [];

port.on('message', async (command: RoguesCommand) => {
  if ('flood' in command) {
    stopped = false;
    for (const key of Object.keys(counts)) delete counts[key];
    const sends = KINDS[command.flood];
    loops = rogues.flatMap((rogue) =>
      Array.from({ length: setup.loopsPerRogue }, async (_, i) => {
        const send = sends[i % sends.length]!;
        while (!stopped) {
          const res = await send(rogue).catch(() => undefined);
          if (!res || res.status >= 400) counts.refused = (counts.refused ?? 0) + 1;
        }
      }),
    );
    // Running at full tilt before the bench takes its first sample.
    while (Object.values(counts).reduce((x, y) => x + y, 0) < rogues.length * 3)
      await new Promise((r) => setTimeout(r, 10));
    port.postMessage({ started: true } satisfies RoguesReport);
  } else if ('stop' in command) {
    stopped = true;
    await Promise.all(loops);
    port.postMessage({ counts: { ...counts } } satisfies RoguesReport);
  } else {
    stopped = true;
    await Promise.all(loops);
    await Promise.all(rogues.map((r) => r.transport.close()));
    port.postMessage({ closed: true } satisfies RoguesReport);
  }
});
port.postMessage({ ready: true } satisfies RoguesReport);
