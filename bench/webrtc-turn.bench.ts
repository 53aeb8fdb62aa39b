// WebRTC between two browsers' libp2p nodes through the relay's TURN (issue
// 17): the time from A's node meeting B's through the relay's circuit (its
// first relayed connection to B opening) until the WebRTC connection between
// them that then carries a stream (the upgrade's proof,
// src/platform/libp2p/webrtc-upgrade.ts) opened, in three set-ups of
// scripts/harness/split-pair.ts:
//  - direct: both browsers in one network namespace (host candidates reach);
//  - through TURN: each in its own namespace, only the relay reachable; the
//    direct attempt fails (its dial timeout), then the fallback through the
//    relay's TURN (turn-fallback.ts);
//  - before the fallback: the same split network with a relay without TURN,
//    which is what every relay looked like to the upgrade before: the two
//    stay on the circuit (1 MiB and 2 minutes per relayed connection), watched
//    for OBSERVE_MS.
// Prints "skipped" without Chromium or a build; needs root (namespaces).
// Run alone: `node bench/run.ts webrtc-turn` (after `npm run build`).
import { execSync } from 'node:child_process';
import { isDirectWebRTC, nodeConnections, waitForDirectWebRTC } from '../scripts/harness/p2p-session.ts';
import { openSplitPair, type SplitPairOptions } from '../scripts/harness/split-pair.ts';
import { round } from './bench-homeserver.ts';
import { extensionMissing } from './extension-missing.ts';
import { measured } from './table.ts';

/** How long the set-up without TURN is watched for a WebRTC connection (two direct attempts and their waits). */
const OBSERVE_MS = 60_000;

const load = () =>
  execSync('uptime')
    .toString()
    .trim()
    .replace(/.*load average: /, 'load ');

/** Meets and times the upgrade; undefined when no WebRTC connection came within `hangGuardMs`. */
async function timeToWebRTC(options: SplitPairOptions, hangGuardMs: number) {
  const pair = await openSplitPair(options);
  try {
    await pair.meet();
    // Met when A's first relayed connection to B opened: the two may have found each other
    // through the relay's directory before the harness's own dial (meet), and the upgrade
    // starts from there.
    const opened = (await nodeConnections(pair.a))
      .filter((c) => c.serverName === pair.bServerName && c.limited)
      .map((c) => c.opened);
    const met = Math.min(Date.now(), ...opened);
    try {
      const webrtc = await waitForDirectWebRTC(pair.a, pair.bServerName, hangGuardMs);
      return { ms: webrtc.opened - met };
    } catch {
      const kinds = (await nodeConnections(pair.a))
        .filter((c) => c.serverName === pair.bServerName && c.status === 'open')
        .map((c) => (isDirectWebRTC(c) ? 'webrtc' : c.limited ? 'relayed' : (c.multiplexer ?? 'other')));
      return { ms: undefined, kinds };
    }
  } finally {
    await pair.close();
  }
}

export default async function webrtcTurnBench(): Promise<void> {
  const missing = extensionMissing();
  if (missing) {
    console.log(missing);
    return;
  }
  const direct = await timeToWebRTC({ split: false, turn: true }, 120_000);
  console.log(`WebRTC between two browsers, direct: ${direct.ms ?? 'none'} ms after meeting (${load()})`);
  if (direct.ms !== undefined) measured('p2p.webrtc.direct', round(direct.ms));

  const turn = await timeToWebRTC({ split: true, turn: true }, 120_000);
  console.log(
    `WebRTC between two browsers that cannot reach each other, through the relay's TURN: ${turn.ms ?? 'none'} ms (${load()})`,
  );
  if (turn.ms !== undefined) measured('p2p.webrtc.turn', round(turn.ms));

  const before = await timeToWebRTC({ split: true, turn: false }, OBSERVE_MS);
  console.log(
    before.ms === undefined
      ? `the same without TURN: no WebRTC connection in ${OBSERVE_MS / 1000} s; open connections A → B: ${before.kinds?.join(', ') || 'none'} (${load()})`
      : `the same without TURN: a WebRTC connection after ${before.ms} ms (unexpected: the browsers reach each other)`,
  );
}

if (import.meta.main) await webrtcTurnBench();
