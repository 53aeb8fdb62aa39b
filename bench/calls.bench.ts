// Call set-up (issue 17): Element Web 1.12.7 in two Chromiums with the
// extension and a relay that serves TURN (test/support/element-pair.ts, as
// test/e2e/element-calls.test.ts), Alice calls Bob in their DM, and the time
// from Bob's ringing (Element's incoming call toast shows; Bob answers at
// once) until both ends' ICE is connected, read from each page's
// RTCPeerConnection (recordPeerConnections). It takes Bob's m.call.answer
// through his homeserver, the P2P link and Alice's /sync to Alice's Element,
// then ICE. Measured directly (host candidates on loopback) and with
// Element's "Allow Peer-to-Peer for 1:1 calls" off on both sides (relay
// candidates: each end's allocation on the relay's coturn). Also printed:
// Alice's "Voice call" until Bob's phone rings (the m.call.invite's way).
// Prints "skipped" without Chromium, a build or Element Web.
// Run alone: `node bench/run.ts calls` (after `npm run build`).
import type { Page } from 'playwright-core';
import {
  acceptCall,
  allowPeerToPeer,
  connectedAt,
  hangUp,
  openCallRoom,
  recordPeerConnections,
  startVoiceCall,
  waitForAudio,
  waitForCallEnded,
  waitForRinging,
} from '../scripts/harness/element-call-ui.ts';
import { elementWebMissing } from '../scripts/harness/element-web.ts';
import { FAKE_MEDIA_ARGS } from '../scripts/harness/extension-browser.ts';
import { type ElementPair, openElementPair } from '../test/support/element-pair.ts';
import { quantile, round } from './bench-homeserver.ts';
import { extensionMissing } from './extension-missing.ts';
import { measured, quick } from './table.ts';

/** Calls timed per path (each about 5 s with its hang-up). */
const CALLS = quick ? 3 : 7;

interface CallTimes {
  /** "Voice call" clicked → Bob's incoming call toast. */
  readonly ring: number;
  /** Bob's ringing → both ends' ICE connected. */
  readonly setup: number;
}

/** One call, Alice to Bob, answered at once; both hear the other before it is hung up. */
async function timeCall(alice: Page, bob: Page): Promise<CallTimes> {
  const clicked = Date.now();
  await startVoiceCall(alice);
  await waitForRinging(bob);
  const ringing = Date.now();
  await acceptCall(bob);
  await Promise.all([waitForAudio(alice), waitForAudio(bob)]);
  const connected = Math.max(...((await Promise.all([connectedAt(alice), connectedAt(bob)])) as number[]));
  await hangUp(alice);
  await Promise.all([waitForCallEnded(alice), waitForCallEnded(bob)]);
  return { ring: ringing - clicked, setup: connected - ringing };
}

async function timeCalls(pair: ElementPair): Promise<{ ring: number[]; setup: number[] }> {
  const ring: number[] = [];
  const setup: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const times = await timeCall(pair.alice.page, pair.bob.page);
    ring.push(times.ring);
    setup.push(times.setup);
  }
  return { ring: ring.sort((a, b) => a - b), setup: setup.sort((a, b) => a - b) };
}

const spread = (sorted: number[]) =>
  `p50 ${round(quantile(sorted, 0.5))} ms, max ${round(sorted.at(-1)!)} ms (${sorted.map((t) => t.toFixed(0)).join(', ')})`;

export default async function callsBench(): Promise<void> {
  const missing = extensionMissing() ?? (elementWebMissing() && `skipped: ${elementWebMissing()}`);
  if (missing) {
    console.log(missing);
    return;
  }
  const pair = await openElementPair({
    launch: { extraArgs: FAKE_MEDIA_ARGS },
    initScript: recordPeerConnections,
  });
  try {
    const { alice, bob } = pair;
    await openCallRoom(alice.page, bob.page, `@bob:${bob.serverName}`);

    const direct = await timeCalls(pair);
    measured('call.setup.direct.p50', quantile(direct.setup, 0.5));
    console.log(`Element call, direct: ringing → connected ${spread(direct.setup)}`);
    console.log(`  "Voice call" → ringing ${spread(direct.ring)}`);

    await allowPeerToPeer(alice.page, false);
    await allowPeerToPeer(bob.page, false);
    const turn = await timeCalls(pair);
    measured('call.setup.turn.p50', quantile(turn.setup, 0.5));
    console.log(`Element call, through the relay's TURN: ringing → connected ${spread(turn.setup)}`);
    console.log(`  "Voice call" → ringing ${spread(turn.ring)}`);
  } finally {
    await pair.close();
  }
}

if (import.meta.main) await callsBench();
