// The relay's TURN for libp2p's WebRTC only where a direct attempt failed
// (src/platform/libp2p/turn-fallback.ts): two libp2p nodes meet through a real
// relay's circuit, the relay serves TURN (coturn) and hands them credentials;
// a hint over the relayed connection makes the other end's next
// RTCPeerConnection gather on the relay's TURN too. Browsers dialling through
// it are tested in test/e2e/webrtc-turn.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { identify } from '@libp2p/identify';
import type { Connection, Libp2p } from '@libp2p/interface';
import { noise } from '@libp2p/noise';
import { webSockets } from '@libp2p/websockets';
import { yamux } from '@libp2p/yamux';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { type Relay, startRelay } from '../../../src/node/relay.ts';
import { turnFromRelays } from '../../../src/platform/libp2p/turn-client.ts';
import { type TurnFallback, turnFallback } from '../../../src/platform/libp2p/turn-fallback.ts';
import { until } from '../../support/js-sdk.ts';

const OWN_STUN = { urls: 'stun:stun.example.org:3478' };

interface Peer {
  readonly node: Libp2p;
  readonly fallback: TurnFallback;
}

/** The TURN URIs in what the node would give its next RTCPeerConnection. */
async function turnUris(peer: Peer): Promise<string[]> {
  const { iceServers } = await peer.fallback.rtcConfiguration();
  return iceServers.map((s) => s.urls).filter((url) => url.startsWith('turn:'));
}

describe('WebRTC through the relay’s TURN, only after a hint', () => {
  let relay: Relay;
  const peers: Peer[] = [];
  let relayed: Connection;

  const startPeer = async (): Promise<Peer> => {
    const fallback = turnFallback([OWN_STUN]);
    const node = await createLibp2p({
      addresses: { listen: ['/p2p-circuit', '/ip4/127.0.0.1/tcp/0/ws'] },
      transports: [webSockets(), circuitRelayTransport()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: { denyDialMultiaddr: () => false },
      services: { identify: identify() },
    });
    const relays = relay.multiaddrs.map((a) => multiaddr(a));
    await node.dial(relays[0]!);
    await fallback.start(node, turnFromRelays(node, relays));
    const peer = { node, fallback };
    peers.push(peer);
    return peer;
  };

  before(async () => {
    relay = await startRelay({ turn: { host: '127.0.0.1', port: 0 } });
  });

  after(async () => {
    for (const { node, fallback } of peers) {
      await fallback.stop();
      await node.stop();
    }
    await relay?.stop();
  });

  test('no window: only the user’s own ICE servers', async () => {
    const a = await startPeer();
    assert.deepEqual((await a.fallback.rtcConfiguration()).iceServers, [OWN_STUN]);
  });

  test('a hint over the relayed connection: both ends gather on the relay’s TURN, until the windows close', async () => {
    const [a] = peers as [Peer];
    const b = await startPeer();
    await until('B holds a reservation on the relay', () =>
      b.node.getMultiaddrs().some((addr) => addr.toString().includes('/p2p-circuit')),
    );
    relayed = await a.node.dial(multiaddr(`${relay.multiaddrs[0]}/p2p-circuit/p2p/${b.node.peerId}`));
    assert.ok(relayed.limits, 'a relayed (limited) connection');

    const closeWindow = await a.fallback.prepare(relayed);
    assert.ok(closeWindow, 'the relay serves TURN');
    assert.deepEqual(await turnUris(a), relay.turnUris);
    assert.deepEqual(await turnUris(b), relay.turnUris, 'the other end too');
    const bServers = (await b.fallback.rtcConfiguration()).iceServers;
    assert.deepEqual(bServers[0], OWN_STUN, 'the user’s own servers stay first');
    assert.match(String(bServers[1]?.username), new RegExp(`:${b.node.peerId}$`), 'B’s own credentials');

    closeWindow();
    assert.deepEqual(await turnUris(a), [], 'our window closes with the dial');
  });

  test('a hint over a direct connection is refused: the other end allocates nothing', async () => {
    const c = await startPeer();
    const d = await startPeer();
    const ws = d.node.getMultiaddrs().find((addr) => addr.toString().includes('/ws/'))!;
    const direct = await c.node.dial(ws);
    assert.equal(direct.limits, undefined, 'a direct connection');
    const closeWindow = await c.fallback.prepare(direct);
    assert.deepEqual(await turnUris(d), []);
    closeWindow?.();
  });
});
