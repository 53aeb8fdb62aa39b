import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dialsFirst, webRTCAddressFor } from '../../../src/platform/libp2p/webrtc-upgrade.ts';

const RELAY = '/ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooWLRPJAA5o6W9sA4uUcjgdLQ8JVYvAhJ9LhJbDJAXS1kbb';
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
  const other = '12D3KooWLRPJAA5o6W9sA4uUcjgdLQ8JVYvAhJ9LhJbDJAXS1kbb';
  assert.notEqual(dialsFirst(PEER, other), dialsFirst(other, PEER));
});
