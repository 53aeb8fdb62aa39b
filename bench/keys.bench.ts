// End-to-end encryption's server side (issue 10), two homeservers in one
// process over libp2p websockets on 127.0.0.1 through a relay, in-memory
// SQLite stores:
//  - keys/claim on A for a device of a user of B (a federation round trip
//    and a write on B), p50/p95 over 300 claims;
//  - a to-device message on A → the recipient's /sync long-poll on B
//    returns it, p50/p95 over 300 messages;
//  - an initial /sync of a device with 1,000 to-device messages waiting
//    (they stay until acknowledged, so every initial sync carries them), p50.
// Run alone: `node bench/keys.bench.ts`.
import type { PeerTransport } from '../src/core/federation/transport.ts';
import { createLibp2pTransport } from '../src/node/p2p/create-libp2p-transport.ts';
import { startRelay } from '../src/node/relay.ts';
import { testDevice } from '../test/support/device-keys.ts';
import {
  type Account,
  type ClusterNode,
  eventually,
  seedFor,
  startFederatedNode,
} from '../test/support/federated-cluster.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function deviceOf(node: ClusterNode, who: Account): Promise<string> {
  return (await node.request('GET', `${V3}/account/whoami`, undefined, who.accessToken)).body.device_id;
}

/** Uploads bob's device keys and `count` one-time keys, 100 at a time. */
async function uploadKeys(node: ClusterNode, bob: Account, deviceId: string, count: number): Promise<void> {
  const device = await testDevice(bob.userId, deviceId);
  await node.request(
    'POST',
    `${V3}/keys/upload`,
    { device_keys: await device.deviceKeys() },
    bob.accessToken,
  );
  for (let from = 0; from < count; from += 100) {
    const keys = await Promise.all(
      Array.from({ length: Math.min(100, count - from) }, (_, i) => device.signedKey(`k${from + i}`)),
    );
    await node.request(
      'POST',
      `${V3}/keys/upload`,
      { one_time_keys: Object.fromEntries(keys) },
      bob.accessToken,
    );
  }
}

async function claims(a: ClusterNode, alice: Account, bob: Account, deviceId: string, count: number) {
  const body = { one_time_keys: { [bob.userId]: { [deviceId]: 'signed_curve25519' } } };
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const res = await a.request('POST', `${V3}/keys/claim`, body, alice.accessToken);
    if (!res.body.one_time_keys?.[bob.userId]) throw new Error(`claim failed: ${JSON.stringify(res.body)}`);
    times.push(performance.now() - t0);
  }
  return times.sort((x, y) => x - y);
}

let txn = 0;
async function toDeviceToSync(pair: Pair, deviceId: string, count: number): Promise<number[]> {
  const { a, b, alice, bob } = pair;
  let since = (await b.request('GET', `${V3}/sync`, undefined, bob.accessToken)).body.next_batch;
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const messages = { [bob.userId]: { [deviceId]: { n: i } } };
    await a.request('PUT', `${V3}/sendToDevice/m.bench/b${++txn}`, { messages }, alice.accessToken);
    for (;;) {
      const res = await b.request(
        'GET',
        `${V3}/sync?since=${enc(since)}&timeout=30000`,
        undefined,
        bob.accessToken,
      );
      since = res.body.next_batch;
      if (res.body.to_device.events.some((e: { content: { n: number } }) => e.content.n === i)) break;
    }
    times.push(performance.now() - t0);
  }
  return times.sort((x, y) => x - y);
}

/** Initial syncs of a device with 1,000 to-device messages waiting (sent on its own server). */
async function initialSyncWithPending(pair: Pair, deviceId: string): Promise<number[]> {
  const { b, bob } = pair;
  const sender = await b.register('sender');
  for (let i = 0; i < 1000; i++) {
    const messages = { [bob.userId]: { [deviceId]: { n: i, ciphertext: 'x'.repeat(500) } } };
    await b.request('PUT', `${V3}/sendToDevice/m.bench/p${i}`, { messages }, sender.accessToken);
  }
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    const res = await b.request('GET', `${V3}/sync`, undefined, bob.accessToken);
    times.push(performance.now() - t0);
    if (res.body.to_device.events.length < 1000) throw new Error('the pending messages are not all there');
  }
  return times.sort((x, y) => x - y);
}

interface Pair {
  readonly a: ClusterNode;
  readonly b: ClusterNode;
  readonly alice: Account;
  readonly bob: Account;
}

export default async function keysBench(): Promise<Record<string, number>> {
  const relay = await startRelay();
  const transports: PeerTransport[] = [];
  const nodes: Awaited<ReturnType<typeof startFederatedNode>>[] = [];
  try {
    for (const label of ['ka', 'kb'])
      transports.push(await createLibp2pTransport({ seed: seedFor(label), relays: relay.multiaddrs }));
    const [ta, tb] = transports as [PeerTransport, PeerTransport];
    await eventually(async () => ta.peers().includes(tb.serverName), 'the peers find each other');
    for (const [i, label] of ['ka', 'kb'].entries())
      nodes.push(await startFederatedNode({ label, transport: transports[i]! }));
    const [a, b] = [nodes[0]!, nodes[1]!];
    const pair: Pair = { a, b, alice: await a.register('alice'), bob: await b.register('bob') };
    const deviceId = await deviceOf(b, pair.bob);
    await uploadKeys(b, pair.bob, deviceId, 320);
    await claims(a, pair.alice, pair.bob, deviceId, 20);
    const claimed = await claims(a, pair.alice, pair.bob, deviceId, 300);
    const toDevice = await toDeviceToSync(pair, deviceId, 300);
    const initial = await initialSyncWithPending(pair, deviceId);
    return {
      'keys/claim on A for a device on B, libp2p, p50 (ms)': quantile(claimed, 0.5),
      'keys/claim on A for a device on B, libp2p, p95 (ms)': quantile(claimed, 0.95),
      'to-device A → /sync on B, libp2p, p50 (ms)': quantile(toDevice, 0.5),
      'to-device A → /sync on B, libp2p, p95 (ms)': quantile(toDevice, 0.95),
      'initial sync with 1,000 to-device messages waiting, p50 (ms)': quantile(initial, 0.5),
    };
  } finally {
    for (const node of nodes) {
      await node.stop();
      await node.store.close();
    }
    await relay.stop();
  }
}

if (import.meta.main) console.log(await keysBench());
