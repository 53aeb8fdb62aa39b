// Federation transport, Node↔Node over websockets on 127.0.0.1 (Noise + yamux):
//  - request/response round trip (one stream per request, small JSON), p50/p95;
//  - 1 MiB request bodies: MB/s;
//  - discovery: from a new node's start until both existing nodes list it,
//    with nothing but the relay address configured.
// Run alone: `node bench/federation-transport.bench.ts`.

import { createLibp2pTransport } from '../src/node/p2p/create-libp2p-transport.ts';
import { startRelay } from '../src/node/relay.ts';

const seed = (byte: number) => new Uint8Array(32).fill(byte);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function until(check: () => boolean, guardMs = 10_000): Promise<void> {
  const deadline = performance.now() + guardMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error('bench: discovery did not complete');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

export default async function federationTransportBench(): Promise<Record<string, number>> {
  const relay = await startRelay();
  const a = await createLibp2pTransport({ seed: seed(0xa1), relays: relay.multiaddrs });
  const b = await createLibp2pTransport({ seed: seed(0xb2), relays: relay.multiaddrs });
  try {
    b.onRequest(async (from, req) => ({ status: 200, body: { from, path: req.path } }));
    await until(() => a.peers().includes(b.serverName));
    const req = { method: 'GET', path: '/_matrix/federation/v1/version', origin: a.serverName };

    for (let i = 0; i < 50; i++) await a.request(b.serverName, req);
    const rtts: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const t0 = performance.now();
      await a.request(b.serverName, req);
      rtts.push(performance.now() - t0);
    }
    rtts.sort((x, y) => x - y);

    const body = new Uint8Array(1024 * 1024).fill(42);
    const put = { method: 'PUT', path: '/media', origin: a.serverName, body };
    await a.request(b.serverName, put);
    const count = 30;
    const t0 = performance.now();
    for (let i = 0; i < count; i++) await a.request(b.serverName, put);
    const mbPerSecond = count / ((performance.now() - t0) / 1000);

    const t1 = performance.now();
    const c = await createLibp2pTransport({ seed: seed(0xc3), relays: relay.multiaddrs });
    await until(() => a.peers().includes(c.serverName) && b.peers().includes(c.serverName));
    const discoveryMs = performance.now() - t1;
    await c.close();

    return {
      'round trip p50 (ms)': quantile(rtts, 0.5),
      'round trip p95 (ms)': quantile(rtts, 0.95),
      '1 MiB request bodies (MB/s)': mbPerSecond,
      'discovery of a new node via the relay (ms)': discoveryMs,
    };
  } finally {
    await Promise.all([a.close(), b.close()]);
    await relay.stop();
  }
}

if (import.meta.main) console.log(await federationTransportBench());
