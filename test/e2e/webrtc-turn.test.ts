// Two browsers that cannot reach each other still get a WebRTC connection,
// through the relay's TURN (issue 17): each Chromium with the extension in a
// network namespace of its own, the relay (and its coturn) in a third, which
// both reach but which forwards nothing between them
// (scripts/harness/split-network.ts). A's node meets B's through the relay's
// circuit; the direct WebRTC attempt cannot work (no route between their host
// addresses), so the upgrade tries again through the relay's TURN at both
// ends (src/platform/libp2p/turn-fallback.ts). Checked as the popup shows it
// (a WebRTC connection, proven to carry streams, on both sides) and in
// coturn's own log (both ends made allocations with their credentials).
// Without the fallback the two stayed on the circuit: bench/webrtc-turn.bench.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { serverNameToPeerId } from '../../src/platform/libp2p/identity.ts';
import { waitForDirectWebRTC } from '../../scripts/harness/p2p-session.ts';
import { openSplitPair, type SplitPair } from '../../scripts/harness/split-pair.ts';

describe('WebRTC between two browsers that cannot reach each other, through the relay’s TURN', () => {
  let pair: SplitPair;
  const logDir = mkdtempSync(join(tmpdir(), 'p2pm-turn-log-'));
  const turnLog = join(logDir, 'coturn.log');

  before(async () => {
    // coturn's verbose log (src/node/turn/coturn.ts), read by the last assertion.
    process.env.P2PM_TURN_LOG = turnLog;
    pair = await openSplitPair({ split: true, turn: true });
  });

  after(async () => {
    await pair?.close();
    rmSync(logDir, { recursive: true, force: true });
  });

  test('the relayed connection is upgraded to WebRTC through TURN, seen from both ends', async () => {
    await pair.meet();
    // Hang guard: the direct attempt's dial timeout (20 s), then the TURN attempt.
    const fromA = await waitForDirectWebRTC(pair.a, pair.bServerName, 120_000);
    assert.equal(fromA.multiplexer, '/webrtc');
    assert.ok(fromA.usable, 'it carried a stream');
    // B sees it once a stream has crossed it from its side too (`usable`), a moment after A may.
    const fromB = await waitForDirectWebRTC(pair.b, pair.aServerName, 60_000);
    assert.equal(fromB.multiplexer, '/webrtc', 'B sees it too');

    const log = readFileSync(turnLog, 'utf8');
    for (const serverName of [pair.aServerName, pair.bServerName]) {
      const peer = serverNameToPeerId(serverName)!.toString();
      assert.match(
        log,
        new RegExp(`user <\\d+:${peer}>.*ALLOCATE processed, success`),
        `${serverName.slice(0, 8)}… allocated on the relay’s TURN`,
      );
    }
  });
});
