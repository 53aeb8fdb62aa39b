import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Json, roomPath, SyncHarness, type User, texts } from './sync-harness.ts';

const STATE_TYPES = (room: Json) => room.state.events.map((e: Json) => e.type);
/** Types of the state events a client learns from a room entry: state, then the timeline's. */
const KNOWN_STATE_TYPES = (room: Json) =>
  [...room.state.events, ...room.timeline.events]
    .filter((e: Json) => e.state_key !== undefined)
    .map((e: Json) => e.type);

describe('GET /sync', () => {
  let h: SyncHarness;
  let alice: User;
  let bob: User;

  before(async () => {
    h = await SyncHarness.start();
    [alice, bob] = await h.registerAll('alice', 'bob');
  });
  after(() => h.close());

  test('an initial sync has every section clients rely on', async () => {
    const roomId = await h.createRoom(alice, { name: 'Shapes' });
    await h.text(alice, roomId, 'hello');
    const body = await h.sync(alice);
    assert.match(body.next_batch, /^s\d+_\d+$/);
    for (const key of ['join', 'invite', 'leave', 'knock'])
      assert.deepEqual(typeof body.rooms[key], 'object');
    assert.deepEqual(body.to_device, { events: [] });
    assert.deepEqual(body.device_lists, { changed: [], left: [] });
    // Synapse's habit, which clients count on: signed_curve25519 is there even at 0.
    assert.deepEqual(body.device_one_time_keys_count, { signed_curve25519: 0 });
    assert.deepEqual(body.device_unused_fallback_key_types, []);
    assert.ok(body.account_data.events.some((e: Json) => e.type === 'm.push_rules'));
    assert.ok(body.presence.events.some((e: Json) => e.sender === alice.userId));

    const room = body.rooms.join[roomId];
    assert.deepEqual(texts(room), ['hello']);
    assert.equal(room.timeline.limited, false);
    assert.equal(typeof room.timeline.prev_batch, 'string');
    assert.ok(!('room_id' in room.timeline.events[0]), 'sync events carry no room_id');
    // The room is young: its whole history, creation included, fits in the timeline.
    assert.equal(room.timeline.events[0].type, 'm.room.create');
    assert.deepEqual(room.state.events, []);
    assert.ok(KNOWN_STATE_TYPES(room).includes('m.room.name'));
    assert.deepEqual(room.ephemeral, { events: [] });
    assert.deepEqual(room.account_data, { events: [] });
    assert.deepEqual(room.unread_notifications, { notification_count: 0, highlight_count: 0 });
    assert.deepEqual(room.summary, {
      'm.heroes': [],
      'm.joined_member_count': 1,
      'm.invited_member_count': 0,
    });
  });

  test('the initial timeline is the latest 10 events, limited, with the state before them', async () => {
    const roomId = await h.createRoom(alice);
    for (let i = 1; i <= 12; i++) await h.text(alice, roomId, `m${i}`);
    const room = (await h.sync(alice)).rooms.join[roomId];
    assert.equal(room.timeline.events.length, 10);
    assert.deepEqual(texts(room), ['m3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9', 'm10', 'm11', 'm12']);
    assert.equal(room.timeline.limited, true);
    assert.ok(STATE_TYPES(room).includes('m.room.power_levels'));

    // prev_batch continues right before the timeline.
    const prev = room.timeline.prev_batch;
    const older = await h.ok(
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=2&from=${prev}`,
      undefined,
      alice,
    );
    assert.deepEqual(
      older.chunk.map((e: Json) => e.content.body),
      ['m2', 'm1'],
    );
  });

  test('an incremental sync returns exactly the new events, then nothing', async () => {
    const roomId = await h.createRoom(alice);
    await h.text(alice, roomId, 'old');
    const first = await h.sync(alice);
    await h.text(alice, roomId, 'new 1');
    await h.text(alice, roomId, 'new 2');
    const second = await h.sync(alice, { since: first.next_batch });
    const room = second.rooms.join[roomId];
    assert.deepEqual(texts(room), ['new 1', 'new 2']);
    assert.equal(room.timeline.events.length, 2);
    assert.equal(room.timeline.limited, false);
    assert.deepEqual(room.state.events, []);
    const third = await h.sync(alice, { since: second.next_batch });
    assert.deepEqual(third.rooms.join, {});
  });

  test('a gap larger than the limit is limited and brings the state changed in the gap', async () => {
    const roomId = await h.createRoom(alice, { name: 'before' });
    const first = await h.sync(alice);
    await h.ok(
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.name/`,
      { name: 'in the gap' },
      alice,
    );
    for (let i = 1; i <= 5; i++) await h.text(alice, roomId, `g${i}`);
    const filter = JSON.stringify({ room: { timeline: { limit: 3 } } });
    const room = (await h.sync(alice, { since: first.next_batch, filter })).rooms.join[roomId];
    assert.deepEqual(texts(room), ['g3', 'g4', 'g5']);
    assert.equal(room.timeline.limited, true);
    assert.deepEqual(
      room.state.events.map((e: Json) => [e.type, e.content.name]),
      [['m.room.name', 'in the gap']],
    );
  });

  test('a long-poll is woken by a message another user sends', async () => {
    const roomId = await h.createRoom(alice, { invite: [bob.userId] });
    await h.join(bob, roomId);
    await h.sync(alice);
    const start = await h.sync(bob);
    const poll = h.sync(bob, { since: start.next_batch, timeout: 30_000 });
    await h.waiters(1);
    await h.text(alice, roomId, 'wake up');
    const body = await poll;
    assert.deepEqual(texts(body.rooms.join[roomId]), ['wake up']);
  });

  test('a long-poll with nothing new answers at the timeout with the same token', async () => {
    const start = await h.sync(bob);
    const settled = await h.sync(bob, { since: start.next_batch });
    let done = false;
    const poll = h.sync(bob, { since: settled.next_batch, timeout: 30_000 }).then((body) => {
      done = true;
      return body;
    });
    await h.waiters(1);
    await h.clock.advance(29_000);
    assert.equal(done, false);
    await h.clock.advance(1_000);
    const body = await poll;
    assert.equal(body.next_batch, settled.next_batch);
    assert.deepEqual(body.rooms, { join: {}, invite: {}, leave: {}, knock: {} });
  });

  test('full_state sends the state of every joined room even without news', async () => {
    const roomId = await h.createRoom(alice, { name: 'full' });
    const first = await h.sync(alice);
    const body = await h.sync(alice, { since: first.next_batch, full_state: true });
    const room = body.rooms.join[roomId];
    assert.deepEqual(room.timeline.events, []);
    assert.ok(STATE_TYPES(room).includes('m.room.name'));
  });

  test('since tokens that are not ours are 400 M_INVALID_PARAM', async () => {
    const res = await h.request('GET', '/_matrix/client/v3/sync?since=garbage', undefined, alice);
    assert.equal(res.status, 400);
    assert.equal(res.body.errcode, 'M_INVALID_PARAM');
  });

  test('a token from the future (a replaced store) gets a full initial sync', async () => {
    const body = await h.sync(alice, { since: 's999999999_0' });
    assert.ok(Object.keys(body.rooms.join).length > 0);
  });
});

describe('GET /sync memberships', () => {
  let h: SyncHarness;
  let alice: User;
  let bob: User;

  before(async () => {
    h = await SyncHarness.start();
    [alice, bob] = await h.registerAll('alice', 'bob');
  });
  after(() => h.close());

  test('an invite shows in rooms.invite with stripped state and the invite itself', async () => {
    const start = await h.sync(bob);
    const roomId = await h.createRoom(alice, { name: 'Come in', invite: [bob.userId] });
    const body = await h.sync(bob, { since: start.next_batch });
    const events = body.rooms.invite[roomId].invite_state.events;
    assert.ok(events.some((e: Json) => e.type === 'm.room.name' && e.content.name === 'Come in'));
    const invite = events.find((e: Json) => e.type === 'm.room.member' && e.state_key === bob.userId);
    assert.equal(invite.content.membership, 'invite');
    assert.equal(invite.sender, alice.userId);
    assert.equal(body.rooms.join[roomId], undefined);
  });

  test('joining brings the room with its history and full state', async () => {
    const roomId = await h.createRoom(alice, { invite: [bob.userId], preset: 'private_chat' });
    await h.text(alice, roomId, 'before bob');
    const start = await h.sync(bob);
    await h.join(bob, roomId);
    const room = (await h.sync(bob, { since: start.next_batch })).rooms.join[roomId];
    assert.deepEqual(texts(room), ['before bob']);
    assert.ok(
      room.timeline.events.some((e: Json) => e.type === 'm.room.member' && e.state_key === bob.userId),
    );
    assert.ok(KNOWN_STATE_TYPES(room).includes('m.room.create'));
    assert.deepEqual(room.summary['m.heroes'], [alice.userId]);
    assert.equal(room.summary['m.joined_member_count'], 2);
  });

  test('a member event of someone already joined (a new displayname) is not a new join', async () => {
    const roomId = await h.createRoom(alice, { name: 'Profiles' });
    const start = await h.sync(alice);
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(alice.userId)}`;
    await h.ok('PUT', path, { membership: 'join', displayname: 'Alice A.' }, alice);
    const room = (await h.sync(alice, { since: start.next_batch })).rooms.join[roomId];
    assert.deepEqual(
      room.timeline.events.map((e: Json) => e.content.displayname),
      ['Alice A.'],
    );
    assert.deepEqual(room.state.events, []);
  });

  test('one who left and joined again since gets the room as newly joined: what changed while away shows', async () => {
    const roomId = await h.createRoom(alice, { preset: 'public_chat' });
    await h.ok(
      'PUT',
      roomPath(roomId, 'state/m.room.history_visibility/'),
      { history_visibility: 'joined' },
      alice,
    );
    await h.join(bob, roomId);
    const since = (await h.sync(bob)).next_batch;
    await h.leave(bob, roomId);
    await h.ok('PUT', roomPath(roomId, 'state/m.room.name/'), { name: 'Renamed while away' }, alice);
    await h.join(bob, roomId);
    await h.text(alice, roomId, 'back');
    const room = (await h.sync(bob, { since })).rooms.join[roomId];
    const names = [...room.state.events, ...room.timeline.events].filter(
      (e: Json) => e.type === 'm.room.name',
    );
    assert.deepEqual(
      names.map((e: Json) => e.content.name),
      ['Renamed while away'],
    );
  });

  test('leaving moves the room to rooms.leave with the timeline up to the leave', async () => {
    const roomId = await h.createRoom(alice, { invite: [bob.userId] });
    await h.join(bob, roomId);
    const start = await h.sync(bob);
    await h.text(alice, roomId, 'bye bob');
    await h.leave(bob, roomId);
    await h.text(alice, roomId, 'bob is gone');
    const body = await h.sync(bob, { since: start.next_batch });
    assert.equal(body.rooms.join[roomId], undefined);
    const left = body.rooms.leave[roomId];
    assert.deepEqual(texts(left), ['bye bob']);
    const last = left.timeline.events.at(-1);
    assert.equal(last.type, 'm.room.member');
    assert.equal(last.content.membership, 'leave');
    // Rooms left before an initial sync appear only with include_leave.
    assert.equal((await h.sync(bob)).rooms.leave[roomId], undefined);
    const withLeave = await h.sync(bob, { filter: JSON.stringify({ room: { include_leave: true } }) });
    assert.ok(withLeave.rooms.leave[roomId]);
  });

  test('a rejected invite shows in rooms.leave with the rejection', async () => {
    const roomId = await h.createRoom(alice, { invite: [bob.userId] });
    const start = await h.sync(bob);
    assert.ok(start.rooms.invite[roomId]);
    await h.leave(bob, roomId);
    const body = await h.sync(bob, { since: start.next_batch });
    assert.equal(body.rooms.invite[roomId], undefined);
    const events = body.rooms.leave[roomId].timeline.events;
    assert.equal(events.at(-1).state_key, bob.userId);
    assert.equal(events.at(-1).content.membership, 'leave');
  });

  test('a ban shows as a leave', async () => {
    const roomId = await h.createRoom(alice, { invite: [bob.userId] });
    await h.join(bob, roomId);
    const start = await h.sync(bob);
    await h.ok(
      'POST',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/ban`,
      { user_id: bob.userId },
      alice,
    );
    const left = (await h.sync(bob, { since: start.next_batch })).rooms.leave[roomId];
    assert.equal(left.timeline.events.at(-1).content.membership, 'ban');
  });
});

describe('GET /sync filters', () => {
  let h: SyncHarness;
  let alice: User;
  let bob: User;
  let carol: User;
  let roomId: string;

  before(async () => {
    h = await SyncHarness.start();
    [alice, bob, carol] = await h.registerAll('alice', 'bob', 'carol');
    roomId = await h.createRoom(alice, { preset: 'public_chat' });
    await h.join(bob, roomId);
    await h.join(carol, roomId);
    for (let i = 1; i <= 5; i++) await h.text(bob, roomId, `b${i}`);
  });
  after(() => h.close());

  test('timeline limit and types, inline', async () => {
    const filter = { room: { timeline: { limit: 2, types: ['m.room.member'] } } };
    const room = (await h.sync(carol, { filter: JSON.stringify(filter) })).rooms.join[roomId];
    assert.deepEqual(
      room.timeline.events.map((e: Json) => e.state_key),
      [bob.userId, carol.userId],
    );
    assert.equal(room.timeline.limited, true);
  });

  test('not_types with a wildcard, through a stored filter id', async () => {
    const path = `/_matrix/client/v3/user/${encodeURIComponent(carol.userId)}/filter`;
    const { filter_id } = await h.ok(
      'POST',
      path,
      { room: { timeline: { not_types: ['m.room.m*'] } } },
      carol,
    );
    const room = (await h.sync(carol, { filter: filter_id })).rooms.join[roomId];
    assert.ok(room.timeline.events.length > 0);
    assert.ok(room.timeline.events.every((e: Json) => !e.type.startsWith('m.room.m')));
  });

  test('lazy_load_members sends only the members of timeline senders and the user', async () => {
    const filter = { room: { timeline: { limit: 3 }, state: { lazy_load_members: true } } };
    const room = (await h.sync(carol, { filter: JSON.stringify(filter) })).rooms.join[roomId];
    assert.deepEqual(texts(room), ['b3', 'b4', 'b5']);
    const members = room.state.events
      .filter((e: Json) => e.type === 'm.room.member')
      .map((e: Json) => e.state_key);
    assert.deepEqual(members.sort(), [bob.userId, carol.userId].sort());
    assert.ok(STATE_TYPES(room).includes('m.room.create'), 'other state still comes');
    const all = (await h.sync(carol)).rooms.join[roomId];
    assert.ok(
      all.state.events.some((e: Json) => e.state_key === alice.userId),
      'without lazy loading alice comes',
    );
  });

  test('room filters leave rooms out', async () => {
    const other = await h.createRoom(carol);
    const body = await h.sync(carol, { filter: JSON.stringify({ room: { not_rooms: [roomId] } }) });
    assert.equal(body.rooms.join[roomId], undefined);
    assert.ok(body.rooms.join[other]);
  });

  test('event_fields trims events', async () => {
    const filter = { event_fields: ['type', 'content.body'], room: { timeline: { limit: 1 } } };
    const room = (await h.sync(carol, { filter: JSON.stringify(filter) })).rooms.join[roomId];
    assert.deepEqual(room.timeline.events, [{ type: 'm.room.message', content: { body: 'b5' } }]);
  });

  test('bad filters: malformed JSON is M_NOT_JSON, a bad field M_BAD_JSON, an unknown id M_INVALID_PARAM', async () => {
    const cases: [string, string][] = [
      ['{nope', 'M_NOT_JSON'],
      [JSON.stringify({ room: { timeline: { limit: 'ten' } } }), 'M_BAD_JSON'],
      ['12345', 'M_INVALID_PARAM'],
    ];
    for (const [filter, errcode] of cases) {
      const res = await h.request(
        'GET',
        `/_matrix/client/v3/sync?filter=${encodeURIComponent(filter)}`,
        undefined,
        carol,
      );
      assert.equal(res.status, 400, filter);
      assert.equal(res.body.errcode, errcode, filter);
    }
  });
});

describe('sync tokens across a restart', () => {
  test('a token from before a store reopen still gives exactly the newer events', async () => {
    const h = await SyncHarness.start();
    try {
      const alice = await h.register('alice');
      const roomId = await h.createRoom(alice);
      await h.text(alice, roomId, 'before restart');
      const token = (await h.sync(alice)).next_batch;
      await h.restart();
      await h.text(alice, roomId, 'after restart');
      const body = await h.sync(alice, { since: token });
      assert.deepEqual(texts(body.rooms.join[roomId]), ['after restart']);
      assert.equal(body.rooms.join[roomId].timeline.limited, false);
    } finally {
      await h.close();
    }
  });
});
