// Churn: five `p2p-matrix serve` peers (the built CLI, each with a --data
// directory and a fixed HTTP port) on a relay, one user each, all in one
// public room. For a bounded time, while every user sends, a seeded chaos
// loop pauses peers (SIGSTOP: a peer that stops answering, as a cut network
// looks from outside, then SIGCONT), restarts them (SIGTERM) and kills them
// (SIGKILL, then a start on the same directory). Then every peer runs again
// and the run waits until each member sees every message that some peer
// acknowledged (200 with an event id) and all five hold the same room state.
// The seed is printed; CHURN_SEED repeats the chaos (timing still varies).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  type RelayProcess,
  type ServeProcess,
  startRelayProcess,
  startServe,
} from '../../scripts/harness/serve-process.ts';
import { Rng } from '../fuzz/rng.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

// biome-ignore lint/suspicious/noExplicitAny: bodies are read field by field, as a client would.
type Json = any;

export interface ChurnOptions {
  readonly seed: number;
  /** How long the chaos lasts. */
  readonly chaosMs: number;
  /** After the chaos, how long the peers may take to agree before the run fails (a hang guard). */
  readonly settleMs: number;
  readonly log?: (line: string) => void;
}

export interface ChurnReport {
  readonly seed: number;
  readonly actions: Record<string, number>;
  readonly acknowledged: number;
  /** Per peer label, acknowledged messages it never showed its user. */
  readonly missing: Record<string, string[]>;
  /** Labels of peers whose room state differs from the first peer's. */
  readonly stateDiffers: string[];
}

interface Peer {
  readonly label: string;
  readonly port: number;
  readonly data: string;
  process: ServeProcess;
  /** Set while the peer is down or paused: its user does not send. */
  down: boolean;
  user?: { userId: string; accessToken: string };
}

/** One call with a deadline: a paused peer does not answer, and the caller goes on. */
async function call(peer: Peer, method: string, path: string, body?: unknown, timeoutMs = 60_000) {
  const res = await fetch(`http://127.0.0.1:${peer.port}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(peer.user && { authorization: `Bearer ${peer.user.accessToken}` }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Json };
}

/** Outages every run has at least, however slowly the peers come back. */
export const MIN_OUTAGES = 3;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(
  what: string,
  guardMs: number,
  check: () => Promise<T | undefined | false>,
): Promise<T> {
  const deadline = Date.now() + guardMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`hang guard: ${what}`);
    await sleep(250);
  }
}

/** Every m.room.message body the peer's user can page back to. */
async function bodiesSeen(peer: Peer, roomId: string): Promise<Set<string>> {
  const seen = new Set<string>();
  let from: string | undefined;
  for (let page = 0; page < 50; page++) {
    const query = `dir=b&limit=500${from ? `&from=${enc(from)}` : ''}`;
    const res = await call(peer, 'GET', `${V3}/rooms/${enc(roomId)}/messages?${query}`);
    if (res.status !== 200) throw new Error(`messages on ${peer.label}: ${res.status}`);
    for (const e of res.body.chunk) if (e.type === 'm.room.message') seen.add(e.content.body);
    if (!res.body.end || res.body.chunk.length === 0) break;
    from = res.body.end;
  }
  return seen;
}

async function stateOf(peer: Peer, roomId: string): Promise<string> {
  const res = await call(peer, 'GET', `${V3}/rooms/${enc(roomId)}/state`);
  if (res.status !== 200) throw new Error(`state on ${peer.label}: ${res.status}`);
  return JSON.stringify(res.body.map((e: Json) => `${e.type}|${e.state_key}|${e.event_id}`).sort());
}

export async function runChurn(options: ChurnOptions): Promise<ChurnReport> {
  const log = options.log ?? (() => {});
  const rng = new Rng(options.seed);
  log(`churn seed ${options.seed} (CHURN_SEED=${options.seed} repeats the chaos)`);
  const relay: RelayProcess = await startRelayProcess();
  const peers: Peer[] = [];
  const start = (peer: { port: number; data: string }) =>
    startServe(['--port', String(peer.port), '--data', peer.data, '--relay', relay.multiaddrs[0]!]);
  try {
    const labels = ['a', 'b', 'c', 'd', 'e'];
    const ports: number[] = [];
    for (const _ of labels) ports.push(await freePort());
    peers.push(
      ...(await Promise.all(
        labels.map(async (label, i) => {
          const data = mkdtempSync(join(tmpdir(), `p2pm-churn-${label}-`));
          const port = ports[i]!;
          return { label, port, data, process: await start({ port, data }), down: false };
        }),
      )),
    );
    await Promise.all(
      peers.map(async (peer) => {
        const username = `user_${peer.label}`;
        const password = 'correct horse battery staple';
        const first = await call(peer, 'POST', `${V3}/register`, { username, password });
        const auth = { type: 'm.login.dummy', session: first.body.session };
        const res = await call(peer, 'POST', `${V3}/register`, { username, password, auth });
        peer.user = { userId: res.body.user_id, accessToken: res.body.access_token };
      }),
    );
    const [a] = peers as [Peer];
    const created = await call(a, 'POST', `${V3}/createRoom`, { preset: 'public_chat', name: 'Churn' });
    const roomId = created.body.room_id as string;
    for (const peer of peers.slice(1)) {
      await until(`${peer.label} joins`, 60_000, async () => {
        const res = await call(
          peer,
          'POST',
          `${V3}/join/${enc(roomId)}?server_name=${enc(a.process.serverName)}`,
          {},
          20_000,
        );
        return res.status === 200;
      });
    }
    // Everyone is in before the chaos: the joins themselves are not what is tested here.
    await Promise.all(
      peers.map((peer) =>
        until(`${peer.label} sees five members`, 120_000, async () => {
          const res = await call(peer, 'GET', `${V3}/rooms/${enc(roomId)}/joined_members`);
          return Object.keys(res.body?.joined ?? {}).length === peers.length;
        }),
      ),
    );
    log('five peers in the room; chaos starts');

    const acknowledged = new Set<string>();
    let chaosOver = false;
    const senders = peers.map(async (peer) => {
      for (let n = 0; !chaosOver; n++) {
        if (!peer.down) {
          const body = `${peer.label}-${n}`;
          const path = `${V3}/rooms/${enc(roomId)}/send/m.room.message/churn${n}`;
          // A paused peer does not answer: the user gives up on that one and goes on (not acknowledged).
          const res = await call(peer, 'PUT', path, { msgtype: 'm.text', body }, 5_000).catch(
            () => undefined,
          );
          if (res?.status === 200) acknowledged.add(body);
        }
        await sleep(200 + (n % 5) * 40);
      }
    });

    const actions: Record<string, number> = { pause: 0, restart: 0, kill: 0 };
    const chaosRng = rng.fork('chaos');
    const deadline = Date.now() + options.chaosMs;
    const outages: Promise<void>[] = [];
    // The run's minimum of chaos (three outages) holds on a loaded machine too,
    // where restarts are slow and the two-peers-out rule skips turns.
    const taken = () => actions.pause! + actions.restart! + actions.kill!;
    while (Date.now() < deadline || taken() < MIN_OUTAGES) {
      await sleep(chaosRng.int(300, 1200));
      const up = peers.filter((p) => !p.down);
      // At most two peers are out at once, so the room keeps a quorum of talkers.
      if (peers.length - up.length >= 2) continue;
      const peer = chaosRng.pick(up);
      const action = chaosRng.pick(['pause', 'restart', 'kill'] as const);
      const outageMs = chaosRng.int(500, 4000);
      actions[action]!++;
      peer.down = true;
      log(`${action} ${peer.label} for ${outageMs} ms`);
      outages.push(
        (async () => {
          if (action === 'pause') {
            peer.process.child.kill('SIGSTOP');
            await sleep(outageMs);
            peer.process.child.kill('SIGCONT');
          } else {
            await (action === 'kill' ? peer.process.kill() : peer.process.stop());
            await sleep(outageMs);
            peer.process = await start(peer);
          }
          peer.down = false;
        })(),
      );
    }
    await Promise.all(outages);
    chaosOver = true;
    await Promise.all(senders);
    log(
      `chaos over: ${JSON.stringify(actions)}, ${acknowledged.size} messages acknowledged; waiting for the peers to agree`,
    );

    // Every member sees every acknowledged message, and all hold the same state.
    const missing: Record<string, string[]> = {};
    const settleBy = Date.now() + options.settleMs;
    for (const peer of peers) {
      let last: string[] = [...acknowledged];
      await until(
        `${peer.label} sees every acknowledged message`,
        Math.max(1_000, settleBy - Date.now()),
        async () => {
          const seen = await bodiesSeen(peer, roomId);
          last = [...acknowledged].filter((b) => !seen.has(b));
          return last.length === 0;
        },
      ).catch(() => {
        missing[peer.label] = last;
      });
    }
    let stateDiffers: string[] = [];
    await until('the same room state on every peer', Math.max(1_000, settleBy - Date.now()), async () => {
      const states = await Promise.all(peers.map((p) => stateOf(p, roomId)));
      stateDiffers = peers.filter((_, i) => states[i] !== states[0]).map((p) => p.label);
      return stateDiffers.length === 0;
    }).catch(() => {});
    return { seed: options.seed, actions, acknowledged: acknowledged.size, missing, stateDiffers };
  } finally {
    await Promise.all(
      peers.map(async (p) => {
        p.process.child.kill('SIGCONT');
        await p.process.stop();
      }),
    );
    await relay.stop();
    for (const p of peers) rmSync(p.data, { recursive: true, force: true });
  }
}
