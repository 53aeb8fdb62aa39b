import assert from 'node:assert/strict';
import { test } from 'node:test';
import { multiaddr } from '@multiformats/multiaddr';
import { dialsFirst, webRTCAddressFor, webRTCDialGate } from '../../../src/platform/libp2p/webrtc-upgrade.ts';

const RELAY_ID = '12D3KooWLRPJAA5o6W9sA4uUcjgdLQ8JVYvAhJ9LhJbDJAXS1kbb';
const RELAY = `/ip4/127.0.0.1/tcp/9090/ws/p2p/${RELAY_ID}`;
const PEER = '12D3KooWNrhzj4WJpfW7Ki7RSsQWwdu7FMYpT1z7xjAqetmkf2b3';

test("a relayed connection's address gives the peer's WebRTC address behind the same relay", () => {
  assert.equal(
    webRTCAddressFor(`${RELAY}/p2p-circuit/p2p/${PEER}`, PEER),
    `${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`,
  );
});

test('no WebRTC address for a direct connection or one that is WebRTC already', () => {
  assert.equal(webRTCAddressFor(RELAY, PEER), undefined);
  assert.equal(webRTCAddressFor(`${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`, PEER), undefined);
});

test('of two browsers exactly one dials first', () => {
  assert.notEqual(dialsFirst(PEER, RELAY_ID), dialsFirst(RELAY_ID, PEER));
});

test('the gate lets a WebRTC address be dialled only while the upgrade dials its peer, and no other address is gated', () => {
  const gate = webRTCDialGate();
  const webrtc = multiaddr(`${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`);
  assert.equal(gate.denyDialMultiaddr(webrtc), true);
  assert.equal(gate.denyDialMultiaddr(multiaddr(`${RELAY}/p2p-circuit/p2p/${PEER}`)), false);
  assert.equal(gate.denyDialMultiaddr(multiaddr(RELAY)), false);
  // Keyed by the address's own peer (the /p2p after /webrtc), not the relay's; one without is refused.
  const relayDial = gate.open(RELAY_ID);
  assert.equal(gate.denyDialMultiaddr(webrtc), true);
  assert.equal(gate.denyDialMultiaddr(multiaddr(`${RELAY}/p2p-circuit/webrtc`)), true);
  relayDial();
  const first = gate.open(PEER);
  const second = gate.open(PEER);
  assert.equal(gate.denyDialMultiaddr(webrtc), false);
  first();
  first();
  assert.equal(gate.denyDialMultiaddr(webrtc), false, 'closing one dial twice does not close the other');
  second();
  assert.equal(gate.denyDialMultiaddr(webrtc), true);
});
