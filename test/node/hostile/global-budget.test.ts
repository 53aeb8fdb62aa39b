// Finding 6 of issue 12, through the real wire: fresh identities are free, so
// a per-peer limit alone bounds nothing. Several rogue identities each open
// streams that declare a large body, send half of it and stall. Now all
// peers' bodies in flight share one budget (maxBodyBytesInFlight): past it a
// large body is refused with 429 at its HEAD, before any of it is kept; an
// honest peer's small request is still served meanwhile; and the stalled
// bodies are released at the read timeout, after which a large body is taken
// again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Stream } from '@libp2p/interface';
import { FEDERATION_PROTOCOL } from '../../../src/platform/libp2p/federation-wire.ts';
import { encodeFrame, FrameKind } from '../../../src/platform/libp2p/frames.ts';
import type { Libp2pPeerTransport } from '../../../src/platform/libp2p/libp2p-transport.ts';
import { readMessage } from '../../../src/platform/libp2p/stream-io.ts';
import type { RunningNode } from '../../support/federated-cluster.ts';
import { type Libp2pCluster, createLibp2pCluster } from '../../support/libp2p-cluster.ts';

const MiB = 1024 * 1024;
/** The honest peers' budget for all peers' bodies in flight: room for four 1 MiB bodies. */
const limits = { maxBodyBytesInFlight: 4 * MiB, readTimeoutMs: 6_000 };
const IDENTITIES = 3;
const STREAMS_EACH = 4;
const HANG_GUARD_MS = 30_000;
const CHUNK = 16_000;

describe('bodies in flight from many identities over libp2p', () => {
  let cluster: Libp2pCluster;
  let a: RunningNode;
  let b: RunningNode;
  const rogues: Libp2pPeerTransport[] = [];

  before(async () => {
    cluster = await createLibp2pCluster(['a', 'b'], { limits });
    [a, b] = cluster.nodes as [RunningNode, RunningNode];
    for (let i = 0; i < IDENTITIES + 1; i++) rogues.push(await cluster.rogueTransport(0x70 + i));
  });
  after(() => cluster.close());

  const target = () => (a.transport as Libp2pPeerTransport).libp2p.getMultiaddrs()[0]!;

  /** Opens a request declaring `length` body bytes and sends `send` of them. */
  async function open(rogue: Libp2pPeerTransport, length: number, send: number): Promise<Stream> {
    // Connected beforehand (dialling is the slow part), so the streams open well within the read timeout.
    const conn = await rogue.libp2p.dial(target());
    const stream = await conn.newStream(FEDERATION_PROTOCOL);
    const head = { method: 'PUT', path: '/x', query: {}, origin: rogue.serverName, body: 'bytes', length };
    stream.send(encodeFrame(FrameKind.head, new TextEncoder().encode(JSON.stringify(head))));
    for (let sent = 0; sent < send; sent += CHUNK)
      stream.send(encodeFrame(FrameKind.data, new Uint8Array(Math.min(CHUNK, send - sent))));
    if (send === length) stream.send(encodeFrame(FrameKind.end, new Uint8Array(0)));
    return stream;
  }

  /** The status the server answers on `stream`, or undefined when it answers nothing before the guard. */
  async function status(stream: Stream, guardMs: number): Promise<number | undefined> {
    try {
      const { head } = await readMessage(stream, MiB, AbortSignal.timeout(guardMs));
      return head.status as number;
    } catch {
      return undefined;
    } finally {
      stream.abort(new Error('done'));
    }
  }

  test('past the budget large bodies get 429, small requests are served, and the budget frees at the timeout', async () => {
    await Promise.all(rogues.map((rogue) => rogue.libp2p.dial(target())));
    const stalled = await Promise.all(
      rogues
        .slice(0, IDENTITIES)
        .flatMap((rogue) => Array.from({ length: STREAMS_EACH }, () => open(rogue, MiB, MiB / 2))),
    );
    // Four bodies fit the budget and stall until the read timeout cuts them off
    // (no answer); every other one is refused at its HEAD. Meanwhile an honest
    // peer's small request goes through.
    const [version, ...answers] = await Promise.all([
      b.transport.request(a.serverName, {
        method: 'GET',
        path: '/_matrix/federation/v1/version',
        origin: b.serverName,
      }),
      ...stalled.map((s) => status(s, HANG_GUARD_MS)),
    ]);
    assert.equal(version.status, 200);
    assert.deepEqual(answers.map((s) => s ?? 'cut off').sort(), [
      ...Array(IDENTITIES * STREAMS_EACH - 4).fill(429),
      ...Array(4).fill('cut off'),
    ]);

    // The stalled bodies are dropped at the read timeout; a whole 1 MiB request is then read and answered.
    const fresh = rogues[IDENTITIES]!;
    const deadline = Date.now() + HANG_GUARD_MS;
    let answered: number | undefined;
    do {
      answered = await status(await open(fresh, MiB, MiB), 10_000);
    } while (answered === 429 && Date.now() < deadline);
    assert.notEqual(answered, 429);
    assert.notEqual(answered, undefined);
  });
});
