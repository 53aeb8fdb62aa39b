// A room of version 12 across two `p2p-matrix serve` peers federating over
// real libp2p through a relay (the built CLI: `npm run build` first), driven
// by matrix-js-sdk: created on A, the room id is the create event's hash;
// Carol on B joins on an invite with no server to go by but the inviter's;
// Bob on B joins through A; messages go both ways; power is v12's (the
// creator is in no power levels and can be neither kicked nor demoted, not by
// an admin the power levels made); and the room's state is the same on both
// peers at the end.
//
// Every wait is bounded by a hang guard (a broken build fails instead of
// hanging); none of them is a timing assertion.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EventType, type MatrixClient, MatrixError, Preset } from 'matrix-js-sdk';
import { logger as sdkLogger } from 'matrix-js-sdk/lib/logger.js';
import {
  type RelayProcess,
  type ServeProcess,
  startRelayProcess,
  startServe,
} from '../../scripts/harness/serve-process.ts';
import { startedClient, until } from '../support/js-sdk.ts';

/** The request fails with 403 M_FORBIDDEN (the auth rules' answer). */
async function forbidden(request: Promise<unknown>): Promise<void> {
  await assert.rejects(request, (err: unknown) => {
    assert.ok(err instanceof MatrixError, String(err));
    assert.equal(err.httpStatus, 403);
    assert.equal(err.errcode, 'M_FORBIDDEN');
    return true;
  });
}

/** The room's current state as a client of that peer reads it: event ids by type and state key. */
async function stateIds(client: MatrixClient, roomId: string): Promise<Map<string, string>> {
  const events = await client.roomState(roomId);
  return new Map(events.map((e) => [`${e.type}|${e.state_key}`, e.event_id!]));
}

describe('room version 12 across two serve peers (matrix-js-sdk)', () => {
  const dirs: string[] = [];
  let relay: RelayProcess;
  let a: ServeProcess;
  let b: ServeProcess;
  let alice: MatrixClient;
  let bob: MatrixClient;
  let carol: MatrixClient;
  let roomId: string;

  const servePeer = () => {
    const dir = mkdtempSync(join(tmpdir(), 'p2pm-v12-'));
    dirs.push(dir);
    return startServe(['--port', '0', '--data', dir, '--relay', relay.multiaddrs[0]!]);
  };

  before(async () => {
    // MatrixRTC logs through js-sdk's global logger, not the client's.
    (sdkLogger as unknown as { setLevel(level: string): void }).setLevel('silent');
    relay = await startRelayProcess();
    [a, b] = await Promise.all([servePeer(), servePeer()]);
    [alice, bob, carol] = await Promise.all([
      startedClient(a.baseUrl, 'alice'),
      startedClient(b.baseUrl, 'bob'),
      startedClient(b.baseUrl, 'carol'),
    ]);
  });

  after(async () => {
    for (const client of [alice, bob, carol]) client?.stopClient();
    await Promise.all([a?.stop(), b?.stop()]);
    await relay?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('created on A: the room id is the create event’s hash, the creator in no power levels', async () => {
    ({ room_id: roomId } = await alice.createRoom({
      preset: Preset.PublicChat,
      name: 'Twelve',
      room_version: '12',
    }));
    assert.match(roomId, /^![A-Za-z0-9_-]{43}$/, 'no server in the room id');
    const create = await alice.getStateEvent(roomId, 'm.room.create', '');
    assert.equal(create.room_version, '12');
    const state = await alice.roomState(roomId);
    const createEvent = state.find((e) => e.type === 'm.room.create')!;
    assert.equal(createEvent.event_id, `$${roomId.slice(1)}`, 'the room id is the create event’s id with !');
    const levels = await alice.getStateEvent(roomId, 'm.room.power_levels', '');
    assert.deepEqual(levels.users, {}, 'the creator is not listed');
    assert.equal(levels.events['m.room.tombstone'], 150);
    // Listing the creator is refused, whatever the level.
    await forbidden(
      alice.sendStateEvent(
        roomId,
        EventType.RoomPowerLevels,
        { ...levels, users: { [alice.getUserId()!]: 100 } },
        '',
      ),
    );
  });

  test('Carol on B, invited, joins through the inviter’s server (the room id names none)', async () => {
    await alice.invite(roomId, carol.getUserId()!);
    await until('carol is invited', () => carol.getRoom(roomId)?.getMyMembership() === 'invite');
    await carol.joinRoom(roomId);
    await until(
      'alice sees carol joined',
      () => alice.getRoom(roomId)?.getMember(carol.getUserId()!)?.membership === 'join',
    );
  });

  test('Bob on B joins through A; messages go both ways', async () => {
    await bob.joinRoom(roomId, { viaServers: [a.serverName] });
    await until(
      'alice sees bob joined',
      () => alice.getRoom(roomId)?.getMember(bob.getUserId()!)?.membership === 'join',
    );
    const timelineHas = (client: MatrixClient, body: string) =>
      client
        .getRoom(roomId)
        ?.getLiveTimeline()
        .getEvents()
        .some((e) => e.getType() === 'm.room.message' && e.getContent().body === body);
    await alice.sendTextMessage(roomId, 'hello from A');
    await until('bob reads alice', () => timelineHas(bob, 'hello from A'));
    await bob.sendTextMessage(roomId, 'hello from B');
    await until('alice reads bob', () => timelineHas(alice, 'hello from B'));
  });

  test('power as v12 defines it: an admin cannot kick, ban or demote the creator', async () => {
    const aliceId = alice.getUserId()!;
    const bobId = bob.getUserId()!;
    const carolId = carol.getUserId()!;
    await alice.setPowerLevel(roomId, bobId, 100);
    await until('B knows bob is an admin', () => bob.getRoom(roomId)?.getMember(bobId)?.powerLevel === 100);
    // The clients see the creator's power as infinite.
    await until(
      'bob’s client sees alice’s infinite power',
      () => bob.getRoom(roomId)?.getMember(aliceId)?.powerLevel === Number.POSITIVE_INFINITY,
    );
    await forbidden(bob.kick(roomId, aliceId, 'no'));
    await forbidden(bob.ban(roomId, aliceId, 'no'));
    await forbidden(bob.setPowerLevel(roomId, aliceId, 0));
    // Bob's power works on everyone else: he kicks Carol, and Alice sees it.
    await bob.kick(roomId, carolId, 'out');
    await until(
      'alice sees carol kicked',
      () => alice.getRoom(roomId)?.getMember(carolId)?.membership === 'leave',
    );
    // The creator may demote the admin, who then cannot ban.
    await alice.setPowerLevel(roomId, bobId, 0);
    await until('B knows bob is demoted', () => bob.getRoom(roomId)?.getMember(bobId)?.powerLevel === 0);
    await forbidden(bob.ban(roomId, carolId));
    assert.equal(alice.getRoom(roomId)?.getMember(aliceId)?.membership, 'join');
  });

  test('the room’s state is the same on both peers', async () => {
    const onA = await stateIds(alice, roomId);
    const onB = await until('B’s state catches up with A’s', async () => {
      const state = await stateIds(bob, roomId);
      return state.size === onA.size && [...onA].every(([k, id]) => state.get(k) === id) && state;
    });
    assert.deepEqual(onB, onA);
    assert.deepEqual(await stateIds(alice, roomId), onA);
  });
});
