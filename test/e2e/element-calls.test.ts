// e2e-needs: ../shared/clients/element-web
//
// Element Web 1.12.7, unchanged, in two Chromiums with the extension and
// Chromium's fake microphone, connected through a relay process that also
// serves TURN (coturn): Alice and Bob share a DM; a 1:1 voice call between
// them connects directly with audio flowing both ways (getStats: audio bytes
// received on each side). The same call with Element's "Allow Peer-to-Peer
// for 1:1 calls" off, through the relay's TURN, connected in some runs and in
// others stayed at ICE state `new` (cause not found yet), so it is not here;
// TURN itself is tested in test/node/p2p/relay-turn.test.ts (coturn relays
// with the credentials a peer got over libp2p). Screenshots go to
// artifacts/element/.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  acceptCall,
  hangUp,
  recordPeerConnections,
  startVoiceCall,
  waitForAudio,
  waitForCallEnded,
} from '../../scripts/harness/element-call-ui.ts';
import {
  acceptInvite,
  openRoom,
  screenshot,
  sendMessage,
  startDirectMessage,
  waitForMessage,
} from '../../scripts/harness/element-ui.ts';
import { FAKE_MEDIA_ARGS } from '../../scripts/harness/extension-browser.ts';
import { type ElementPair, openElementPair } from '../support/element-pair.ts';

describe('Element Web: a 1:1 voice call between two browsers', () => {
  let pair: ElementPair;

  before(async () => {
    pair = await openElementPair({
      launch: { extraArgs: FAKE_MEDIA_ARGS },
      initScript: recordPeerConnections,
    });
    const { alice, bob } = pair;
    await startDirectMessage(alice.page, `@bob:${bob.serverName}`);
    await sendMessage(alice.page, 'Can I call you?');
    await waitForMessage(alice.page, 'Can I call you?');
    await openRoom(bob.page, 'alice');
    await acceptInvite(bob.page);
    await waitForMessage(bob.page, 'Can I call you?');
  });

  after(async () => {
    await pair?.close();
  });

  /** Alice calls, Bob answers; both hear the other. Returns both ends' stats, then both hang up. */
  const call = async (label: string) => {
    const { alice, bob } = pair;
    await startVoiceCall(alice.page);
    await acceptCall(bob.page);
    const [aliceHears, bobHears] = await Promise.all([waitForAudio(alice.page), waitForAudio(bob.page)]);
    await screenshot(alice.page, `call-${label}-alice`);
    await screenshot(bob.page, `call-${label}-bob`);
    await hangUp(alice.page);
    await Promise.all([waitForCallEnded(alice.page), waitForCallEnded(bob.page)]);
    return { aliceHears, bobHears };
  };

  test('a voice call connects directly, with audio both ways', async () => {
    const { aliceHears, bobHears } = await call('direct');
    for (const stats of [aliceHears, bobHears]) {
      assert.ok(stats.audioBytesReceived > 0);
      assert.equal(stats.localCandidate, 'host', JSON.stringify(stats));
      assert.equal(stats.remoteCandidate, 'host', JSON.stringify(stats));
    }
  });
});
