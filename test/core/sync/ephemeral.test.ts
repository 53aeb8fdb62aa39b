import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Json, SyncHarness, type User, roomPath } from './sync-harness.ts';

const enc = encodeURIComponent;

function ephemeral(body: Json, roomId: string, type: string): Json[] {
  return (body.rooms.join[roomId]?.ephemeral.events ?? []).filter((e: Json) => e.type === type);
}

describe('typing', () => {
  let h: SyncHarness;
  let alice: User;
  let bob: User;
  let roomId: string;

  before(async () => {
    h = await SyncHarness.start();
    ({ alice, bob, roomId } = await h.sharedRoom());
    await h.sync(alice);
  });
  after(() => h.close());

  test('shows in the other member’s sync, wakes its long-poll and expires after the timeout', async () => {
    const start = await h.sync(bob);
    const poll = h.sync(bob, { since: start.next_batch, timeout: 60_000 });
    await h.waiters(1);
    await h.ok(
      'PUT',
      roomPath(roomId, `typing/${enc(alice.userId)}`),
      { typing: true, timeout: 20_000 },
      alice,
    );
    const typing = await poll;
    assert.deepEqual(ephemeral(typing, roomId, 'm.typing'), [
      { type: 'm.typing', content: { user_ids: [alice.userId] } },
    ]);

    // The initial sync shows who types now.
    assert.equal(ephemeral(await h.sync(bob), roomId, 'm.typing').length, 1);

    const expiry = h.sync(bob, { since: typing.next_batch, timeout: 60_000 });
    await h.waiters(1);
    await h.clock.advance(20_000);
    const expired = await expiry;
    assert.deepEqual(ephemeral(expired, roomId, 'm.typing'), [
      { type: 'm.typing', content: { user_ids: [] } },
    ]);
    const quiet = await h.sync(bob, { since: expired.next_batch });
    assert.deepEqual(quiet.rooms.join, {});
  });

  test('stopping to type clears it at once', async () => {
    await h.ok(
      'PUT',
      roomPath(roomId, `typing/${enc(alice.userId)}`),
      { typing: true, timeout: 20_000 },
      alice,
    );
    const start = await h.sync(bob);
    await h.ok('PUT', roomPath(roomId, `typing/${enc(alice.userId)}`), { typing: false }, alice);
    const body = await h.sync(bob, { since: start.next_batch });
    assert.deepEqual(ephemeral(body, roomId, 'm.typing')[0].content.user_ids, []);
  });

  test('nobody can type for someone else, or in a room they are not in', async () => {
    const carol = await h.register('carol');
    const forOther = await h.request(
      'PUT',
      roomPath(roomId, `typing/${enc(bob.userId)}`),
      { typing: true },
      alice,
    );
    assert.equal(forOther.status, 403);
    assert.equal(forOther.body.errcode, 'M_FORBIDDEN');
    const outsider = await h.request(
      'PUT',
      roomPath(roomId, `typing/${enc(carol.userId)}`),
      { typing: true },
      carol,
    );
    assert.equal(outsider.status, 403);
    const bad = await h.request(
      'PUT',
      roomPath(roomId, `typing/${enc(alice.userId)}`),
      { typing: 'yes' },
      alice,
    );
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errcode, 'M_BAD_JSON');
  });
});

describe('receipts, read markers and unread counts', () => {
  let h: SyncHarness;
  let alice: User;
  let bob: User;
  let roomId: string;

  before(async () => {
    h = await SyncHarness.start();
    ({ alice, bob, roomId } = await h.sharedRoom());
  });
  after(() => h.close());

  test('m.read is shown to other members, m.read.private only to its sender', async () => {
    const first = await h.text(alice, roomId, 'one');
    const second = await h.text(alice, roomId, 'two');
    const aliceStart = await h.sync(alice);
    await h.ok('POST', roomPath(roomId, `receipt/m.read/${enc(first)}`), {}, bob);
    await h.ok('POST', roomPath(roomId, `receipt/m.read.private/${enc(second)}`), {}, bob);

    const seenByAlice = ephemeral(await h.sync(alice, { since: aliceStart.next_batch }), roomId, 'm.receipt');
    assert.equal(seenByAlice.length, 1);
    assert.deepEqual(Object.keys(seenByAlice[0].content), [first]);
    assert.equal(typeof seenByAlice[0].content[first]['m.read'][bob.userId].ts, 'number');

    const seenByBob = ephemeral(await h.sync(bob), roomId, 'm.receipt')[0].content;
    assert.ok(seenByBob[first]['m.read'][bob.userId]);
    assert.ok(seenByBob[second]['m.read.private'][bob.userId]);
  });

  test('a receipt never moves backwards', async () => {
    const first = await h.text(alice, roomId, 'early');
    const later = await h.text(alice, roomId, 'late');
    await h.ok('POST', roomPath(roomId, `receipt/m.read/${enc(later)}`), {}, bob);
    const start = await h.sync(alice);
    await h.ok('POST', roomPath(roomId, `receipt/m.read/${enc(first)}`), {}, bob);
    assert.deepEqual((await h.sync(alice, { since: start.next_batch })).rooms.join, {});
    const receipts = ephemeral(await h.sync(alice), roomId, 'm.receipt')[0].content;
    assert.ok(receipts[later]['m.read'][bob.userId]);
    assert.equal(receipts[first], undefined);
  });

  test('unread counts: messages from others after the read receipt, highlights for mentions', async () => {
    await h.text(bob, roomId, 'bob reads up');
    await h.text(alice, roomId, 'hello bob'); // the localpart in the body highlights too
    await h.text(alice, roomId, 'still there?');
    await h.send(alice, roomId, {
      msgtype: 'm.text',
      body: 'ping',
      'm.mentions': { user_ids: [bob.userId] },
    });
    await h.send(alice, roomId, { msgtype: 'm.notice', body: 'a bot notice' });
    let room = (await h.sync(bob)).rooms.join[roomId];
    assert.deepEqual(room.unread_notifications, { notification_count: 3, highlight_count: 2 });

    const start = await h.sync(bob);
    const last = room.timeline.events.at(-1).event_id;
    await h.ok('POST', roomPath(roomId, 'read_markers'), { 'm.fully_read': last, 'm.read': last }, bob);
    room = (await h.sync(bob, { since: start.next_batch })).rooms.join[roomId];
    assert.deepEqual(room.unread_notifications, { notification_count: 0, highlight_count: 0 });
    assert.deepEqual(room.account_data.events, [{ type: 'm.fully_read', content: { event_id: last } }]);
    // Sending your own message also counts as having read what came before.
    await h.text(alice, roomId, 'one more');
    await h.text(bob, roomId, 'answer');
    assert.equal((await h.sync(bob)).rooms.join[roomId].unread_notifications.notification_count, 0);
  });

  test('unread counts reach back past the timeline window to the receipt', async () => {
    const read = await h.text(alice, roomId, 'read this');
    await h.ok('POST', roomPath(roomId, `receipt/m.read/${enc(read)}`), {}, bob);
    for (let i = 1; i <= 14; i++) await h.text(alice, roomId, `unread ${i}`);
    const room = (await h.sync(bob, { filter: JSON.stringify({ room: { timeline: { limit: 5 } } }) })).rooms
      .join[roomId];
    assert.equal(room.timeline.limited, true);
    assert.equal(room.unread_notifications.notification_count, 14);
  });

  test('bad receipts: unknown type 400, unknown event 404, not joined 403', async () => {
    const eventId = await h.text(alice, roomId, 'x');
    const badType = await h.request('POST', roomPath(roomId, `receipt/m.seen/${enc(eventId)}`), {}, bob);
    assert.equal(badType.status, 400);
    assert.equal(badType.body.errcode, 'M_INVALID_PARAM');
    const unknownEvent = await h.request('POST', roomPath(roomId, 'receipt/m.read/%24nope'), {}, bob);
    assert.equal(unknownEvent.status, 404);
    assert.equal(unknownEvent.body.errcode, 'M_NOT_FOUND');
    const carol = await h.register('carol');
    const outsider = await h.request('POST', roomPath(roomId, `receipt/m.read/${enc(eventId)}`), {}, carol);
    assert.equal(outsider.status, 403);
    const threaded = await h.request(
      'POST',
      roomPath(roomId, `receipt/m.fully_read/${enc(eventId)}`),
      { thread_id: 'main' },
      bob,
    );
    assert.equal(threaded.status, 400);
  });
});
