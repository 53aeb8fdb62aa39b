import assert from 'node:assert/strict';
import { test } from 'node:test';
import { multiaddr } from '@multiformats/multiaddr';
import type { Libp2p } from '@libp2p/interface';
import { silentLogger } from '../../../src/core/ports.ts';
import {
  dialsFirst,
  defaultUpgradeTiming,
  upgradeRelayedToWebRTC,
  webRTCAddressFor,
  webRTCDialGate,
} from '../../../src/platform/libp2p/webrtc-upgrade.ts';

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

/** How each WebRTC dial of the fake node ends: at once (the signalling), after a while (ICE), or connected. */
type Outcome = 'quick' | 'slow' | 'ok';

/**
 * A node that dials first (its id sorts before PEER) with one relayed
 * connection to PEER, whose WebRTC dials end as `outcomes` says; the relay's
 * TURN is prepared by `fallback`. Resolves with whether each dial went
 * through TURN, once a dial connected.
 */
function upgradeWith(outcomes: readonly Outcome[]): Promise<boolean[]> {
  const events = new EventTarget();
  const peer = { toString: () => PEER, equals: (other: unknown) => String(other) === PEER };
  const relayed = {
    status: 'open',
    limits: {},
    remoteAddr: multiaddr(`${RELAY}/p2p-circuit/p2p/${PEER}`),
    remotePeer: peer,
    multiplexer: '/yamux/1.0.0',
  };
  const throughTurn: boolean[] = [];
  let turn = false;
  return new Promise((resolve) => {
    const libp2p = {
      peerId: { toString: () => RELAY_ID },
      getConnections: () => [relayed],
      getDialQueue: () => [],
      dial: async () => {
        const outcome = outcomes[throughTurn.length];
        throughTurn.push(turn);
        turn = false;
        if (outcome === 'slow') await new Promise((r) => setTimeout(r, 40));
        if (outcome !== 'ok') throw new Error(`dial ${outcome}`);
        upgrade.stop();
        resolve(throughTurn);
        return { ...relayed, limits: undefined, multiplexer: '/webrtc' };
      },
      addEventListener: events.addEventListener.bind(events),
      removeEventListener: events.removeEventListener.bind(events),
    } as unknown as Libp2p;
    const fallback = {
      prepare: async () => {
        turn = true;
        return () => {};
      },
    };
    const timing = {
      ...defaultUpgradeTiming,
      leaderDelayMs: 1,
      retryMs: [5, 5, 5],
      signallingFailureMs: 20,
    };
    const upgrade = upgradeRelayedToWebRTC(libp2p, silentLogger, timing, fallback);
    events.dispatchEvent(new CustomEvent('connection:open', { detail: relayed }));
  });
}

test('a first WebRTC attempt that fails at once (the signalling) is tried again directly; one that fails after a while goes through TURN next', async () => {
  assert.deepEqual(await upgradeWith(['quick', 'ok']), [false, false]);
  assert.deepEqual(await upgradeWith(['slow', 'ok']), [false, true]);
});

test('only the first quick failure is tried again directly: a peer whose attempts all fail at once still gets TURN', async () => {
  assert.deepEqual(await upgradeWith(['quick', 'quick', 'ok']), [false, false, true]);
  assert.deepEqual(await upgradeWith(['quick', 'slow', 'ok']), [false, false, true]);
});
