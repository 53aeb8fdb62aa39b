import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as rooms from '../../../src/core/rooms/api.ts';
import { stateKeyOf } from '../../../src/core/protocol.ts';
import { SNAPSHOT_INTERVAL } from '../../../src/core/rooms/tables.ts';
import { type Harness, path, startHarness } from './harness.ts';

describe('rooms api (what sync reads)', () => {
  let hs: Harness;
  let alice: string;
  let bob: string;
  let carol: string;
  let roomId: string;
  const read = <T>(fn: (tx: Parameters<Parameters<Harness['store']['read']>[1]>[0]) => Promise<T>) =>
    hs.store.read(rooms.roomTableNames, fn);
  before(async () => {
    hs = await startHarness();
    alice = hs.user('alice');
    bob = hs.user('bob');
    carol = hs.user('carol');
    roomId = await hs.createRoom(alice, { preset: 'public_chat', name: 'Api' });
  });
  after(() => hs.close());

  test('pagination tokens round-trip and sync-style tokens are read as positions', () => {
    assert.equal(rooms.makePaginationToken(42), 't42');
    assert.equal(rooms.parsePaginationToken('t42'), 42);
    assert.equal(rooms.parsePaginationToken('s42_7'), 42);
    assert.equal(rooms.parsePaginationToken('42'), undefined);
    assert.equal(rooms.parsePaginationToken('tx'), undefined);
  });

  test('userRoomsSince reports membership changes after a position; joinedRoomIds the joined rooms', async () => {
    const before = (await read((tx) => rooms.userRoomsSince(tx, bob, 0))).length;
    assert.equal(before, 0);
    await hs.request('POST', path`/_matrix/client/v3/rooms/${roomId}/invite`, {
      as: alice,
      body: { user_id: bob },
    });
    const invited = await read((tx) => rooms.userRoomsSince(tx, bob, 0));
    assert.equal(invited.length, 1);
    assert.deepEqual(
      [invited[0]!.roomId, invited[0]!.membership, invited[0]!.sender],
      [roomId, 'invite', alice],
    );
    const invitation = await read((tx) => rooms.strippedState(tx, roomId, bob));
    assert.deepEqual(
      invitation.filter((e) => e.type === 'm.room.member').map((e) => [e.state_key, e.content.membership]),
      [
        [bob, 'invite'],
        [alice, 'join'],
      ],
      "an invite's stripped state holds the inviter's member event, so clients can name the room after them",
    );
    await hs.join(roomId, bob);
    const since = await read((tx) => rooms.userRoomsSince(tx, bob, invited[0]!.stream));
    assert.deepEqual(
      since.map((m) => m.membership),
      ['join'],
    );
    assert.deepEqual(await read((tx) => rooms.userRoomsSince(tx, bob, since[0]!.stream)), []);
    assert.deepEqual(await read((tx) => rooms.joinedRoomIds(tx, bob)), [roomId]);
    assert.equal(await read((tx) => rooms.membershipOf(tx, roomId, bob)), 'join');
    const stripped = await read((tx) => rooms.strippedState(tx, roomId, bob));
    assert.deepEqual(
      stripped.map((e) => e.type),
      ['m.room.create', 'm.room.join_rules', 'm.room.name', 'm.room.member'],
    );
    assert.equal(stripped.find((e) => e.type === 'm.room.name')?.content.name, 'Api');
  });

  test('timelineSlice: newest events of a range, oldest first, limited when more remain', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await hs.sendText(roomId, alice, `s${i}`));
    const slice = await read((tx) =>
      rooms.timelineSlice(tx, roomId, {
        limit: 3,
        backwards: true,
        now: hs.clock.now(),
        viewer: { userId: bob },
      }),
    );
    assert.deepEqual(
      slice.events.map((e) => e.event.event_id),
      ids.slice(2),
    );
    assert.equal(slice.limited, true);
    assert.ok(slice.events[0]!.stream < slice.events[2]!.stream);
    const after = await read((tx) =>
      rooms.timelineSlice(tx, roomId, { fromStream: slice.events[0]!.stream, limit: 10, now: 0 }),
    );
    assert.deepEqual(
      after.events.map((e) => e.event.event_id),
      ids.slice(3),
    );
    assert.equal(after.limited, false);
    assert.ok(
      await read((tx) => rooms.roomsWithEventsSince(tx, slice.events[0]!.stream)).then((s) => s.has(roomId)),
    );
    assert.equal(await read((tx) => rooms.eventStream(tx, ids[4]!)), slice.events[2]!.stream);
  });

  test('stateIdsAtStream follows changes across state group snapshots', async () => {
    const positions: number[] = [];
    const topics = SNAPSHOT_INTERVAL * 2 + 5;
    for (let i = 0; i < topics; i++) {
      const res = await hs.request('PUT', path`/_matrix/client/v3/rooms/${roomId}/state/m.room.topic/`, {
        as: alice,
        body: { topic: `topic ${i}` },
      });
      positions.push((await read((tx) => rooms.eventStream(tx, res.body.event_id)))!);
    }
    for (const i of [0, 1, SNAPSHOT_INTERVAL - 1, SNAPSHOT_INTERVAL, SNAPSHOT_INTERVAL + 1, topics - 1]) {
      const state = await read((tx) => rooms.stateIdsAtStream(tx, roomId, positions[i]!));
      const [topic] = await read((tx) =>
        rooms.eventsByIds(tx, [state.get(stateKeyOf('m.room.topic', ''))!], 0),
      );
      assert.equal(topic?.content.topic, `topic ${i}`);
      assert.ok(state.has(stateKeyOf('m.room.create', '')));
      assert.ok(state.has(stateKeyOf('m.room.member', bob)));
    }
    const current = await read((tx) => rooms.currentStateIds(tx, roomId));
    const atEnd = await read((tx) => rooms.stateIdsAtStream(tx, roomId, Number.MAX_SAFE_INTEGER));
    assert.deepEqual(atEnd, current);
    const events = await read((tx) => rooms.currentState(tx, roomId, 0));
    const topic = events.find((e) => e.type === 'm.room.topic');
    assert.equal(
      topic?.unsigned?.prev_content && (topic.unsigned.prev_content as { topic: string }).topic,
      `topic ${topics - 2}`,
    );
    assert.deepEqual(await read((tx) => rooms.stateIdsAtStream(tx, roomId, 0)), new Map());
  });

  test('roomSummary names heroes other than the user; visibleToUser filters by history visibility', async () => {
    await hs.request('POST', path`/_matrix/client/v3/rooms/${roomId}/invite`, {
      as: alice,
      body: { user_id: carol },
    });
    const summary = await read((tx) => rooms.roomSummary(tx, roomId, bob));
    assert.deepEqual(summary, {
      'm.heroes': [alice, carol],
      'm.joined_member_count': 2,
      'm.invited_member_count': 1,
    });
    const room = await hs.createRoom(alice, {
      preset: 'public_chat',
      initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: 'joined' } }],
    });
    const hidden = await hs.sendText(room, alice, 'before');
    await hs.request('POST', path`/_matrix/client/v3/rooms/${room}/join`, { as: bob, body: {} });
    const shown = await hs.sendText(room, alice, 'after');
    assert.deepEqual(await read((tx) => rooms.visibleToUser(tx, room, bob, [hidden, shown])), [shown]);
  });

  test('forgotten rooms leave userRoomsSince', async () => {
    const room = await hs.createRoom(alice, { preset: 'public_chat' });
    await hs.request('POST', path`/_matrix/client/v3/rooms/${room}/join`, { as: carol, body: {} });
    await hs.request('POST', path`/_matrix/client/v3/rooms/${room}/leave`, { as: carol, body: {} });
    assert.ok((await read((tx) => rooms.userRoomsSince(tx, carol, 0))).some((m) => m.roomId === room));
    await hs.request('POST', path`/_matrix/client/v3/rooms/${room}/forget`, { as: carol, body: {} });
    assert.ok(!(await read((tx) => rooms.userRoomsSince(tx, carol, 0))).some((m) => m.roomId === room));
    assert.ok((await read((tx) => rooms.forgottenRoomIds(tx, carol))).has(room));
  });
});
