// Room features across two `p2p-matrix serve` peers federating over real
// libp2p through a relay (the built CLI: `npm run build` first), driven by
// matrix-js-sdk as Element drives its homeserver: knocking, restricted
// joins, room upgrades, threads and space hierarchies, each with the room
// on one peer and a user of the other.
//
// Every wait is bounded by a hang guard (a broken build fails instead of
// hanging); none of them is a timing assertion.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type MatrixClient, Preset } from 'matrix-js-sdk';
import { logger as sdkLogger } from 'matrix-js-sdk/lib/logger.js';
import {
  type RelayProcess,
  type ServeProcess,
  startRelayProcess,
  startServe,
} from '../../scripts/harness/serve-process.ts';
import { startedClient } from '../support/js-sdk.ts';

const HANG_GUARD_MS = 60_000;

/** Polls `check` until it returns a value; the bound is a hang guard only. */
async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false) {
  const deadline = Date.now() + HANG_GUARD_MS;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`hang guard: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('room features across two serve peers (matrix-js-sdk)', () => {
  const dirs: string[] = [];
  let relay: RelayProcess;
  let a: ServeProcess;
  let b: ServeProcess;
  let alice: MatrixClient;
  let bob: MatrixClient;

  const servePeer = () => {
    const dir = mkdtempSync(join(tmpdir(), 'p2pm-roomfeat-'));
    dirs.push(dir);
    return startServe(['--port', '0', '--data', dir, '--relay', relay.multiaddrs[0]!]);
  };

  before(async () => {
    // MatrixRTC logs through js-sdk's global logger, not the client's.
    (sdkLogger as unknown as { setLevel(level: string): void }).setLevel('silent');
    relay = await startRelayProcess();
    [a, b] = await Promise.all([servePeer(), servePeer()]);
    [alice, bob] = await Promise.all([startedClient(a.baseUrl, 'alice'), startedClient(b.baseUrl, 'bob')]);
  });

  after(async () => {
    alice?.stopClient();
    bob?.stopClient();
    await Promise.all([a?.stop(), b?.stop()]);
    await relay?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('knock → invite → join across the peers', async () => {
    const { room_id: roomId } = await alice.createRoom({
      preset: Preset.PrivateChat,
      name: 'Porch',
      room_version: '10',
      initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }],
    });
    await bob.knockRoom(roomId, { viaServers: [a.serverName], reason: 'may I?' });
    await until('bob sees his knock with the room’s name', () => {
      const room = bob.getRoom(roomId);
      return room?.getMyMembership() === 'knock' && room.name === 'Porch';
    });
    const knock = await until('alice sees bob knocking', () => {
      const member = alice.getRoom(roomId)?.getMember(bob.getUserId()!);
      return member?.membership === 'knock' && member;
    });
    assert.equal(knock.events.member?.getContent().reason, 'may I?');
    await alice.invite(roomId, bob.getUserId()!);
    await until('bob is invited', () => bob.getRoom(roomId)?.getMyMembership() === 'invite');
    await bob.joinRoom(roomId, { viaServers: [a.serverName] });
    await until(
      'alice sees bob joined',
      () => alice.getRoom(roomId)?.getMember(bob.getUserId()!)?.membership === 'join',
    );
  });
});
