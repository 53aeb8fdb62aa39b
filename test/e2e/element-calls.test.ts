// e2e-needs: ../shared/clients/element-web
//
// Element Web 1.12.7, unchanged, in two Chromiums with the extension and
// Chromium's fake microphone, connected through a relay process that also
// serves TURN (coturn): Alice and Bob share a DM; a 1:1 voice call between
// them connects with audio flowing both ways (getStats: audio bytes received
// on each side), first directly between the two browsers, then with
// Element's "Allow Peer-to-Peer for 1:1 calls" turned off on both sides, so
// that it must go through the relay's TURN (the selected candidate pair joins
// the two ends' TURN allocations), with the credentials each homeserver got
// from the relay over libp2p. That case once failed half the runs (ICE state
// `new`, no relay candidate): coturn's per-peer quota was smaller than the
// candidate pool Element allocates for each call (src/node/turn/coturn.ts,
// turnLimits). Screenshots go to artifacts/element/.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  acceptCall,
  allowPeerToPeer,
  type CallStats,
  hangUp,
  heldTurnUris,
  openCallRoom,
  recordPeerConnections,
  startVoiceCall,
  waitForAudio,
  waitForCallEnded,
} from '../../scripts/harness/element-call-ui.ts';
import { screenshot } from '../../scripts/harness/element-ui.ts';
import { FAKE_MEDIA_ARGS } from '../../scripts/harness/extension-browser.ts';
import { type ElementPair, openElementPair } from '../support/element-pair.ts';

describe('Element Web: 1:1 voice calls between two browsers, direct and through the relay’s TURN', () => {
  let pair: ElementPair;

  before(async () => {
    pair = await openElementPair({
      launch: { extraArgs: FAKE_MEDIA_ARGS },
      initScript: recordPeerConnections,
    });
    const { alice, bob } = pair;
    await openCallRoom(alice.page, bob.page, `@bob:${bob.serverName}`);
  });

  after(async () => {
    await pair?.close();
  });

  /**
   * Alice calls, Bob answers; both hear the other (over a candidate pair
   * `path` accepts). Returns both ends' stats, then both hang up.
   */
  const call = async (label: string, path?: (stats: CallStats) => boolean) => {
    const { alice, bob } = pair;
    await startVoiceCall(alice.page);
    await acceptCall(bob.page);
    const [aliceHears, bobHears] = await Promise.all([
      waitForAudio(alice.page, path),
      waitForAudio(bob.page, path),
    ]);
    await screenshot(alice.page, `call-${label}-alice`);
    await screenshot(bob.page, `call-${label}-bob`);
    await hangUp(alice.page);
    await Promise.all([waitForCallEnded(alice.page), waitForCallEnded(bob.page)]);
    return { aliceHears, bobHears };
  };

  test('a voice call connects directly, with audio both ways', async () => {
    // From host to host: the other's host address is `prflx` when its checks
    // came before its candidates (which cross both homeservers). Each end also
    // holds a TURN allocation, and ICE may start on a pair through it before
    // the direct pair passes its checks: the call is direct once it moved over.
    const direct = (stats: CallStats) =>
      stats.localCandidate === 'host' && ['host', 'prflx'].includes(stats.remoteCandidate ?? '');
    const { aliceHears, bobHears } = await call('direct', direct);
    for (const stats of [aliceHears, bobHears]) assert.ok(stats.audioBytesReceived > 0);
  });

  test('with peer-to-peer off, the call goes through the relay’s TURN, with audio both ways', async () => {
    const { alice, bob } = pair;
    await allowPeerToPeer(alice.page, false);
    await allowPeerToPeer(bob.page, false);
    // Both Elements got the relay's TURN at sign-in, through their own homeservers.
    assert.deepEqual(await heldTurnUris(alice.page), pair.relay.turnUris);
    assert.deepEqual(await heldTurnUris(bob.page), pair.relay.turnUris);
    // Each end sends from its own TURN allocation (with peer-to-peer off,
    // Element allows no other candidate) to the other's, which it may know as
    // `prflx` when the other's checks came before its candidates. Which of the
    // allocations (one per URI) each end shows as selected may differ while
    // ICE settles, so their addresses are not compared.
    const { aliceHears, bobHears } = await call('turn');
    for (const stats of [aliceHears, bobHears]) {
      assert.ok(stats.audioBytesReceived > 0);
      assert.equal(stats.localCandidate, 'relay', JSON.stringify(stats));
      assert.ok(['relay', 'prflx'].includes(stats.remoteCandidate ?? ''), JSON.stringify(stats));
    }
  });
});
