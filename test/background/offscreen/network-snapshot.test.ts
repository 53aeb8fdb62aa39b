import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Connection, PeerId } from '@libp2p/interface';
import { connectionKind, networkSnapshot } from '../../../background/offscreen/network-snapshot.ts';
import { privateKeyFromSeed, peerIdToServerName } from '../../../src/platform/libp2p/identity.ts';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';

const peerOf = async (byte: number) =>
  peerIdFromPrivateKey(await privateKeyFromSeed(new Uint8Array(32).fill(byte)));

function conn(remotePeer: PeerId, kind: 'webrtc' | 'websocket' | 'relayed', open: number): Connection {
  return {
    remotePeer,
    status: 'open',
    direct: kind !== 'relayed',
    multiplexer: kind === 'webrtc' ? '/webrtc' : '/yamux/1.0.0',
    limits: kind === 'relayed' ? {} : undefined,
    timeline: { open },
    rtt: 3,
  } as unknown as Connection;
}

test('the kind of a connection: WebRTC, a websocket, or a relayed circuit', async () => {
  const peer = await peerOf(1);
  assert.equal(connectionKind(conn(peer, 'webrtc', 0)), 'webrtc');
  assert.equal(connectionKind(conn(peer, 'websocket', 0)), 'websocket');
  assert.equal(connectionKind(conn(peer, 'relayed', 0)), 'relayed');
});

test('each connected server with its best connection, and each relay with its state', async () => {
  const [relay, bob, carol] = await Promise.all([peerOf(2), peerOf(3), peerOf(4)]);
  const conns = [
    conn(relay, 'websocket', 1),
    conn(bob, 'relayed', 5),
    conn(bob, 'webrtc', 7),
    conn(carol, 'relayed', 9),
  ];
  const libp2p = {
    getConnections: (peer?: PeerId) => (peer ? conns.filter((c) => c.remotePeer.equals(peer)) : conns),
  } as never;
  const relayAddr = `/ip4/127.0.0.1/tcp/9090/ws/p2p/${relay.toString()}`;
  const otherRelay = `/ip4/127.0.0.1/tcp/9091/ws/p2p/${carol.toString()}`;
  const state = networkSnapshot({
    libp2p,
    peers: [peerIdToServerName(bob)!, peerIdToServerName(carol)!],
    relays: [relayAddr, otherRelay],
    rtt: (id) => (id === bob.toString() ? 1.5 : undefined),
  });
  assert.equal(state.state, 'online');
  assert.deepEqual(
    state.peers.map((p) => [p.serverName, p.kind, p.rttMs, p.since]),
    [
      [peerIdToServerName(bob), 'webrtc', 1.5, 7],
      [peerIdToServerName(carol), 'relayed', 3, 9],
    ],
  );
  assert.deepEqual(state.relays, [
    { addr: relayAddr, state: 'connected' },
    // A relayed circuit to that id is no connection to it as a relay.
    { addr: otherRelay, state: 'connecting' },
  ]);
});

test('offline with nothing connected', () => {
  const state = networkSnapshot({
    libp2p: { getConnections: () => [] } as never,
    peers: [],
    relays: [],
    rtt: () => undefined,
  });
  assert.deepEqual(state, { state: 'offline', peers: [], relays: [] });
});
