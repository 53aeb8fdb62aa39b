// The libp2p transport in Node, over websockets on 127.0.0.1 with a real relay
// in the same process: the conformance suite (peers know only the relay, so
// discovery is part of it), then what only a libp2p transport can get wrong.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { PeerTransport } from '../../../src/core/federation/transport.ts';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2pTransport, createNodeLibp2p } from '../../../src/node/p2p/create-libp2p-transport.ts';
import { type Relay, runRelay, startRelay } from '../../../src/node/relay.ts';
import type { Stream } from '@libp2p/interface';
import { encodeFrame, FrameKind, packFrames } from '../../../src/platform/libp2p/frames.ts';
import {
  encodedResponseHead,
  FEDERATION_PROTOCOL,
  FEDERATION_SESSION_PROTOCOL,
  GZIP,
  messageFrames,
  requestHead,
} from '../../../src/platform/libp2p/federation-wire.ts';
import { COMPRESS_FROM, gzip } from '../../../src/platform/libp2p/body-encoding.ts';
import { PeerProtocolError } from '../../../src/core/public.ts';
import { serverNameToPeerId } from '../../../src/platform/libp2p/identity.ts';
import type { KnownPeer, KnownPeerStore } from '../../../src/platform/libp2p/known-peers.ts';
import {
  type Libp2pPeerTransport,
  startLibp2pTransport,
} from '../../../src/platform/libp2p/libp2p-transport.ts';
import { readMessage } from '../../../src/platform/libp2p/stream-io.ts';
import {
  conformanceLimits,
  eventually,
  transportConformance,
} from '../../core/federation/transport-conformance.ts';

const seed = (byte: number) => new Uint8Array(32).fill(byte);

transportConformance({
  name: 'libp2p over websockets + relay (Node)',
  network: async (limits) => {
    const relay = await startRelay();
    const make = (byte: number) =>
      createLibp2pTransport({ seed: seed(byte), relays: relay.multiaddrs, limits });
    const live = await Promise.all([make(1), make(2), make(3)]);
    const bytes = new Map(live.map((t, i) => [t.serverName, i + 1]));
    return {
      transports: [live[0]!, live[1]!, live[2]!],
      takeDown: async (name) => {
        await live.find((t) => t.serverName === name)?.close();
      },
      bringBack: async (name) => {
        const back = await make(bytes.get(name)!);
        live.push(back);
        return back;
      },
      close: async () => {
        await Promise.all(live.map((t) => t.close()));
        await relay.stop();
      },
    };
  },
});

/** A KnownPeerStore in memory, as the composition root's file or IndexedDB store would be. */
function memoryStore(): KnownPeerStore & { peers: Map<string, KnownPeer> } {
  const peers = new Map<string, KnownPeer>();
  return {
    peers,
    load: async () => [...peers.values()],
    save: async (peer) => void peers.set(peer.serverName, peer),
  };
}

/** A string of `length` characters that gzip cannot shrink much (base64 of random bytes: about 3/4). */
const incompressible = (length: number) => randomBytes(length).toString('base64').slice(0, length);

/** `asker`'s GET / of `hidden` once `hidden` holds a relay reservation (reachable through a circuit). */
async function askThroughRelay(hidden: Libp2pPeerTransport, asker: PeerTransport) {
  await eventually('the hidden peer holds a reservation', () =>
    hidden.multiaddrs().some((addr) => addr.includes('/p2p-circuit')),
  );
  return asker.request(hidden.serverName, { method: 'GET', path: '/', origin: asker.serverName });
}

describe('libp2p transport (Node)', () => {
  let relay: Relay;
  const open: PeerTransport[] = [];
  const node = async (byte: number, options: Parameters<typeof createLibp2pTransport>[0] | object = {}) => {
    const t = await createLibp2pTransport({ seed: seed(byte), limits: conformanceLimits, ...options });
    open.push(t);
    return t;
  };

  before(async () => {
    relay = await startRelay();
  });
  after(async () => {
    await Promise.all(open.map((t) => t.close()));
    await relay.stop();
  });

  test('the server name is the hex of the seed’s public key, and the PeerId follows from it', async () => {
    const t = await node(0x11);
    assert.match(t.serverName, /^[0-9a-f]{64}$/);
    assert.ok(serverNameToPeerId(t.serverName)!.equals(t.libp2p.peerId));
  });

  test('a peer added by multiaddr, with no relay, can be asked by name', async () => {
    const a = await node(0x21);
    const b = await node(0x22);
    b.onRequest(async (from) => ({ status: 200, body: { from } }));
    assert.equal(await a.addPeer(b.multiaddrs()[0]!), b.serverName);
    assert.deepEqual(await a.request(b.serverName, { method: 'GET', path: '/', origin: a.serverName }), {
      status: 200,
      body: { from: a.serverName },
    });
  });

  test('a request whose connection closes under it is sent again on a new connection', async () => {
    const a = await node(0x23);
    const b = await node(0x24);
    let calls = 0;
    b.onRequest(async (from) => {
      calls++;
      if (calls === 1) {
        // As when libp2p drops a relayed connection for a direct one mid-request.
        await b.libp2p.hangUp(a.libp2p.peerId);
        return new Promise(() => {});
      }
      return { status: 200, body: { from } };
    });
    await a.addPeer(b.multiaddrs()[0]!);
    assert.deepEqual(await a.request(b.serverName, { method: 'GET', path: '/', origin: a.serverName }), {
      status: 200,
      body: { from: a.serverName },
    });
    assert.equal(calls, 2);
  });

  test('peers with no listen address of their own talk through a relay circuit (a limited connection)', async () => {
    const hidden = await node(0x31, { listen: [], relays: relay.multiaddrs });
    const asker = await node(0x32, { listen: [], relays: relay.multiaddrs });
    hidden.onRequest(async (from) => ({ status: 200, body: { from } }));
    const res = await askThroughRelay(hidden, asker);
    assert.deepEqual(res, { status: 200, body: { from: asker.serverName } });
    const conns = asker.libp2p.getConnections(hidden.libp2p.peerId);
    assert.ok(
      conns.length > 0 && conns.every((c) => c.limits !== undefined),
      'only relayed connections exist',
    );
  });

  /**
   * As between two browsers whose WebRTC connection is not up yet: the asker
   * may use only relayed connections until `proven` (the browser's `usable`,
   * webrtc-upgrade.ts), through a relay that cuts each after `limitBytes`.
   * The direct connection is made by the hidden peer when `makeDirect` is called.
   */
  async function behindSmallRelay(hiddenByte: number, askerByte: number, limitBytes: number) {
    const small = await startRelay({ limits: { relayedDataBytes: limitBytes } });
    const hidden = await node(hiddenByte, { listen: [], relays: small.multiaddrs });
    let proven = false;
    const libp2p = await createNodeLibp2p({ seed: seed(askerByte), relays: small.multiaddrs });
    const asker = await startLibp2pTransport({
      libp2p,
      relays: small.multiaddrs.map((addr) => multiaddr(addr)),
      limits: conformanceLimits,
      usable: (conn) => conn.limits !== undefined || proven,
    });
    open.push(asker);
    let circuits = 0;
    libp2p.addEventListener('connection:open', (evt) => {
      if (evt.detail.limits) circuits++;
    });
    const makeDirect = () => {
      proven = true;
      void hidden.addPeer(asker.multiaddrs().find((addr) => !addr.includes('/p2p-circuit'))!);
    };
    return { small, hidden, asker, libp2p, makeDirect, circuits: () => circuits };
  }

  test('an answer the circuit has no room left for, after an earlier answer used it, comes over the direct connection', async () => {
    // The second answer is within the relay's limit but more than the circuit
    // has left after the first (libp2p counts `limits.bytes` down, from what
    // the connection's set-up left: about 470 KiB of 512; each answer about
    // 300 KiB gzipped): refused at its head,
    // and asked again over the direct connection once it may; should the
    // relay cut the circuit from what was already in flight, another is
    // dialled meanwhile, not used for the answer.
    const { small, hidden, asker, makeDirect } = await behindSmallRelay(0x35, 0x36, 512 * 1024);
    try {
      let calls = 0;
      hidden.onRequest(async () => {
        if (++calls === 2) setTimeout(makeDirect, 50);
        return { status: 200, body: { pad: incompressible(400 * 1024) } };
      });
      assert.equal((await askThroughRelay(hidden, asker)).status, 200);
      const res = await askThroughRelay(hidden, asker);
      assert.equal(res.status, 200);
      assert.equal((res.body as { pad: string }).pad.length, 400 * 1024);
      assert.equal(calls, 3);
    } finally {
      await small.stop();
    }
  });

  test('an answer longer than the relayed connection has left is refused at its head; that connection stays up and the request goes over the direct one', async () => {
    // The relay would have cut the circuit partway through the answer, and
    // with it the WebRTC upgrade's signalling between two browsers. Its limit
    // is above what the answering side may send before the asker reads the
    // head (yamux's window, 256 KiB), as the browsers' relay's 1 MiB is.
    const { small, hidden, asker, libp2p, makeDirect, circuits } = await behindSmallRelay(
      0x37,
      0x38,
      512 * 1024,
    );
    try {
      let circuit: { status: string } | undefined;
      let openWhenRefused: boolean | undefined;
      let calls = 0;
      hidden.onRequest(async () => {
        calls++;
        if (calls === 1) {
          circuit = libp2p.getConnections(hidden.libp2p.peerId).find((c) => c.limits);
          setTimeout(makeDirect, 50);
        }
        // Asked again over the direct connection: the answer was refused at its head.
        if (calls === 2) openWhenRefused = circuit?.status === 'open';
        return { status: 200, body: { pad: incompressible(1024 * 1024) } };
      });
      const res = await askThroughRelay(hidden, asker);
      assert.equal(res.status, 200);
      assert.equal((res.body as { pad: string }).pad.length, 1024 * 1024);
      assert.equal(calls, 2);
      assert.equal(openWhenRefused, true, 'the circuit the answer was refused on stayed open');
      assert.equal(circuits(), 1, 'no new circuit was opened');
    } finally {
      await small.stop();
    }
  });

  test('a big JSON answer crosses gzipped: it fits a circuit that has no room for it plain', async () => {
    // 1 MiB of JSON that gzips to a few KiB, through a relay that carries 512 KiB:
    // plain, it would be refused at its head and wait for a direct connection,
    // which never comes here.
    const { small, hidden, asker, circuits } = await behindSmallRelay(0x39, 0x3a, 512 * 1024);
    try {
      const pad = 'x'.repeat(1024 * 1024);
      let calls = 0;
      hidden.onRequest(async () => {
        calls++;
        return { status: 200, body: { pad } };
      });
      const res = await askThroughRelay(hidden, asker);
      assert.deepEqual(res, { status: 200, body: { pad } });
      assert.equal(calls, 1);
      assert.equal(circuits(), 1);
    } finally {
      await small.stop();
    }
  });

  test('an answer is gzipped only for a request that names gzip, and only from COMPRESS_FROM bytes', async () => {
    const server = await node(0x6a);
    // `{"pad":"…"}`: 10 bytes around the pad.
    const sizes = [COMPRESS_FROM - 11, COMPRESS_FROM - 10];
    server.onRequest(async (_from, req) => ({
      status: 200,
      body: { pad: 'x'.repeat(Number(req.query?.n)) },
    }));
    const asker = await node(0x6b);
    const conn = await asker.libp2p.dial(server.libp2p.getMultiaddrs()[0]!);
    const stream = await conn.newStream(FEDERATION_SESSION_PROTOCOL);
    const answerHead = async (n: number, encodings?: string[]) => {
      const req = { method: 'GET', path: '/', origin: asker.serverName, query: { n: String(n) } };
      stream.send(
        [...packFrames(messageFrames(requestHead(req, 'none', 0, encodings), new Uint8Array(0)))][0]!,
      );
      return (await readMessage(stream, 1024 * 1024, AbortSignal.timeout(10_000))).head;
    };
    for (const n of sizes) assert.equal((await answerHead(n)).encoding, undefined);
    assert.equal((await answerHead(sizes[0]!, ['br'])).encoding, undefined);
    assert.equal((await answerHead(sizes[0]!, [GZIP])).length, COMPRESS_FROM - 1);
    assert.equal((await answerHead(sizes[0]!, [GZIP])).encoding, undefined);
    const gzipped = await answerHead(sizes[1]!, ['br', GZIP]);
    assert.equal(gzipped.encoding, GZIP);
    assert.ok((gzipped.length as number) < (gzipped.decoded as number));
  });

  /** A peer that answers every request of `protocol` with `head` and `body`. */
  const rogueAnswering = async (
    byte: number,
    protocol: string,
    answer: () => Promise<{ head: ReturnType<typeof encodedResponseHead>; body: Uint8Array }>,
  ) => {
    const rogue = await node(byte);
    await rogue.libp2p.unhandle(protocol);
    await rogue.libp2p.handle(protocol, async (stream: Stream) => {
      await readMessage(stream, 1024 * 1024, AbortSignal.timeout(10_000));
      const { head, body } = await answer();
      for (const chunk of packFrames(messageFrames(head, body))) stream.send(chunk);
    });
    return rogue;
  };

  test('an encoded answer to a request that named no encoding (a streamed one) is refused as malformed', async () => {
    const json = new TextEncoder().encode(
      JSON.stringify({ errcode: 'M_NOT_FOUND', pad: 'x'.repeat(20_000) }),
    );
    const rogue = await rogueAnswering(0x6e, FEDERATION_PROTOCOL, async () => {
      const body = (await gzip(json))!;
      return { head: encodedResponseHead(404, body.length, json.length), body };
    });
    const asker = await node(0x6f);
    await asker.addPeer(rogue.multiaddrs()[0]!);
    const req = { method: 'GET', path: '/', origin: asker.serverName };
    await assert.rejects(
      asker.requestStream(rogue.serverName, req, { maxBodyBytes: 1024 * 1024 }),
      (err: unknown) => err instanceof PeerProtocolError && /not asked for/.test(err.message),
    );
  });

  test('an encoded answer declared to decode past the response limit is refused at its head', async () => {
    const decoded = conformanceLimits.maxResponseBodyBytes + 1;
    // Its body never comes: the head alone is refused.
    const rogue = await rogueAnswering(0x70, FEDERATION_SESSION_PROTOCOL, async () => ({
      head: encodedResponseHead(200, 4096, decoded),
      body: new Uint8Array(0),
    }));
    const asker = await node(0x71);
    await asker.addPeer(rogue.multiaddrs()[0]!);
    await assert.rejects(
      asker.request(rogue.serverName, { method: 'GET', path: '/', origin: asker.serverName }),
      (err: unknown) => err instanceof PeerProtocolError && err.violation === 'too-large',
    );
  });

  test('an answer whose gzip decodes to more than its head declared is refused as malformed', async () => {
    // 16 MiB of zeros gzip to about 16 KiB; the head says they decode to 1 KiB.
    const bomb = (await gzip(new Uint8Array(16 * 1024 * 1024)))!;
    const rogue = await rogueAnswering(0x6c, FEDERATION_SESSION_PROTOCOL, async () => ({
      head: encodedResponseHead(200, bomb.length, 1024),
      body: bomb,
    }));
    const asker = await node(0x6d);
    await asker.addPeer(rogue.multiaddrs()[0]!);
    await assert.rejects(
      asker.request(rogue.serverName, { method: 'GET', path: '/', origin: asker.serverName }),
      (err: unknown) => err instanceof PeerProtocolError && /decodes to more than/.test(err.message),
    );
  });

  test('known peers are saved and dialled again after a restart, without any relay', async () => {
    const store = memoryStore();
    const b = await node(0x42);
    const a1 = (await node(0x41, { knownPeers: store })) as Libp2pPeerTransport;
    await a1.addPeer(b.multiaddrs()[0]!);
    await eventually('A saved B', () => store.peers.has(b.serverName));
    await a1.close();

    const a2 = await node(0x41, { knownPeers: store });
    await eventually('A reconnects to B from its store', () => a2.peers().includes(b.serverName));
  });

  test('a peer lying about its body length, or sending garbage, gets 400 and the server keeps serving', async () => {
    const server = await node(0x51);
    const honest = await node(0x52);
    let calls = 0;
    server.onRequest(async () => {
      calls++;
      return { status: 200, body: {} };
    });
    const rogue = await node(0x53);
    const conn = await rogue.libp2p.dial(server.libp2p.getMultiaddrs()[0]!);
    const answer = async (stream: Stream) => {
      const { head } = await readMessage(stream, 1024, AbortSignal.timeout(10_000));
      stream.abort(new Error('done'));
      return head.status;
    };

    const liar = await conn.newStream(FEDERATION_PROTOCOL);
    const head = {
      method: 'PUT',
      path: '/x',
      query: {},
      origin: rogue.serverName,
      body: 'bytes',
      length: 10,
    };
    liar.send(encodeFrame(FrameKind.head, new TextEncoder().encode(JSON.stringify(head))));
    for (let i = 0; i < 4; i++) liar.send(encodeFrame(FrameKind.data, new Uint8Array(16_000)));
    assert.equal(await answer(liar), 400);

    const garbage = await conn.newStream(FEDERATION_PROTOCOL);
    garbage.send(new Uint8Array([99, 0xff, 0xff, 0xff, 0xff]));
    assert.equal(await answer(garbage), 400);

    assert.equal(calls, 0);
    await honest.addPeer(server.multiaddrs()[0]!);
    const res = await honest.request(server.serverName, {
      method: 'GET',
      path: '/',
      origin: honest.serverName,
    });
    assert.equal(res.status, 200);
  });

  test('requests to a peer one after another share one stream (a session); a peer without sessions is still served', async () => {
    const a = await node(0x61);
    const b = await node(0x62);
    const old = await node(0x63);
    for (const t of [b, old]) t.onRequest(async (_from, req) => ({ status: 200, body: { path: req.path } }));
    await old.libp2p.unhandle(FEDERATION_SESSION_PROTOCOL);
    const streamsTo = (t: Libp2pPeerTransport, protocol: string) =>
      a.libp2p
        .getConnections(t.libp2p.peerId)
        .flatMap((c) => c.streams)
        .filter((s) => s.protocol === protocol);
    for (const t of [b, old]) {
      await a.addPeer(t.multiaddrs()[0]!);
      for (let i = 0; i < 5; i++) {
        const res = await a.request(t.serverName, { method: 'GET', path: `/${i}`, origin: a.serverName });
        assert.deepEqual(res, { status: 200, body: { path: `/${i}` } });
      }
    }
    assert.equal(streamsTo(b, FEDERATION_SESSION_PROTOCOL).length, 1);
    assert.equal(streamsTo(old, FEDERATION_SESSION_PROTOCOL).length, 0);
  });

  test('a session the server ends (after refusing a request unread, 413, or idle) is not used again', async () => {
    const a = await node(0x64);
    const b = await node(0x65);
    b.onRequest(async () => ({ status: 200, body: {} }));
    await a.addPeer(b.multiaddrs()[0]!);
    const get = { method: 'GET', path: '/', origin: a.serverName };
    assert.equal((await a.request(b.serverName, get)).status, 200);
    const tooLarge = new Uint8Array(conformanceLimits.maxRequestBodyBytes + 1);
    const refused = await a.request(b.serverName, { ...get, method: 'PUT', body: tooLarge });
    assert.equal(refused.status, 413);
    assert.equal((await a.request(b.serverName, get)).status, 200);
    // B ends its sessions as it does after an idle while; the next request still gets its answer.
    const sessions = b.libp2p
      .getConnections(a.libp2p.peerId)
      .flatMap((c) => c.streams)
      .filter((s) => s.protocol === FEDERATION_SESSION_PROTOCOL);
    assert.ok(sessions.length > 0);
    await Promise.all(sessions.map((s) => s.close()));
    assert.equal((await a.request(b.serverName, get)).status, 200);
  });

  test('a session serves requests one after another on one stream; bytes after a request’s END are malformed', async () => {
    const server = await node(0x66);
    let calls = 0;
    server.onRequest(async () => {
      calls++;
      return { status: 200, body: {} };
    });
    const rogue = await node(0x67);
    const conn = await rogue.libp2p.dial(server.libp2p.getMultiaddrs()[0]!);
    const stream = await conn.newStream(FEDERATION_SESSION_PROTOCOL);
    const request = () => {
      const head = requestHead({ method: 'GET', path: '/', origin: rogue.serverName }, 'none', 0);
      return [...packFrames(messageFrames(head, new Uint8Array(0)))][0]!;
    };
    const status = async () => (await readMessage(stream, 1024, AbortSignal.timeout(10_000))).head.status;
    for (let i = 0; i < 3; i++) {
      stream.send(request());
      assert.equal(await status(), 200);
    }
    const extra = encodeFrame(FrameKind.data, new Uint8Array(4));
    stream.send(new Uint8Array([...request(), ...extra]));
    assert.equal(await status(), 400);
    assert.equal(calls, 3);
  });

  test('`relay` prints its listen address with its peer id', async () => {
    const lines: string[] = [];
    // Without TURN, which would add its own lines (and take the fixed port 3478).
    const running = await runRelay(['--port', '0', '--host', '127.0.0.1', '--no-turn'], {
      log: (line) => lines.push(line),
    });
    try {
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, /^relay listening on \/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/12D3KooW\w+$/);
    } finally {
      await running.stop();
    }
  });
});
