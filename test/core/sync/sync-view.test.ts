// A woken long-poll answered from what the commits placed (sync/sync-view.ts):
// each woken answer is compared with what storage gives for the same `since`
// right after, and the test says whether it came from memory (no sync read
// after the change) or from storage (the fall-backs).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ChangeNotice } from '../../../src/core/events/notifier.ts';
import * as rooms from '../../../src/core/rooms/api.ts';
import { CommitLog } from '../../../src/core/storage/commit-log.ts';
import type { BuiltSync, SyncRequest } from '../../../src/core/sync/build-sync.ts';
import { emptySyncResponse } from '../../../src/core/sync/sync-response.ts';
import { answerFromView } from '../../../src/core/sync/sync-view.ts';
import { createUnreadMemo, keepCounts } from '../../../src/core/sync/unread.ts';
import { testDevice } from '../../support/device-keys.ts';
import { type Json, SyncHarness, type User, roomPath, texts } from './sync-harness.ts';

/** The body without unsigned.age, which depends on when it was formatted. */
function withoutAges(body: Json): Json {
  return JSON.parse(JSON.stringify(body), (key, value) => (key === 'age' ? undefined : value));
}

describe('a woken /sync answered from the committed view', () => {
  let h: SyncHarness;
  let alice: User;
  let bob: User;
  let carol: User;
  let roomId: string;

  before(async () => {
    h = await SyncHarness.start();
    [alice, bob, carol] = await h.registerAll('alice', 'bob', 'carol');
    roomId = await h.createRoom(alice, { invite: [bob.userId] });
    await h.join(bob, roomId);
  });
  after(() => h.close());

  /**
   * Bob long-polls from his latest token with `query`, `act` wakes him; the
   * woken answer, whether it was answered with no storage read, and the same
   * sync computed from storage.
   */
  async function woken(act: () => Promise<unknown>, query: Record<string, string> = {}) {
    const since = (await h.sync(bob, query)).next_batch;
    const poll = h.sync(bob, { ...query, since, timeout: '30000' });
    await h.waiters(1);
    const reads = h.syncReads;
    await act();
    const body = await poll;
    const fromMemory = h.syncReads === reads;
    const fresh = await h.sync(bob, { ...query, since });
    return { body, fresh, fromMemory };
  }

  /** Runs `act` with change notices held back, then gives them: the woken sync sees all of act's commits at once. */
  async function heldBack(act: () => Promise<unknown>): Promise<void> {
    const notifier = h.hs.notifier;
    const notify = notifier.notify;
    const notices: ChangeNotice[] = [];
    notifier.notify = (notice) => notices.push(notice);
    try {
      await act();
    } finally {
      notifier.notify = notify;
    }
    for (const notice of notices) notifier.notify(notice);
  }

  async function sameAsStorage(act: () => Promise<unknown>, query: Record<string, string> = {}) {
    const outcome = await woken(act, query);
    assert.deepEqual(withoutAges(outcome.body), withoutAges(outcome.fresh));
    return outcome;
  }

  test('one new message comes from memory, as storage has it, with its unread counts', async () => {
    const first = await sameAsStorage(() => h.text(alice, roomId, 'one'));
    assert.equal(first.fromMemory, true);
    assert.deepEqual(texts(first.body.rooms.join[roomId]), ['one']);
    // The counts add up message after message, a mention highlighting.
    const second = await sameAsStorage(() => h.text(alice, roomId, `hello ${bob.userId}`));
    assert.equal(second.fromMemory, true);
    assert.deepEqual(second.body.rooms.join[roomId].unread_notifications, {
      notification_count: 2,
      highlight_count: 1,
    });
    // The sender's own sync: no transaction id leaks to another device, and its own messages do not count.
    const own = await sameAsStorage(() => h.text(bob, roomId, 'mine'));
    assert.equal(own.fromMemory, true);
    assert.deepEqual(own.body.rooms.join[roomId].unread_notifications, {
      notification_count: 0,
      highlight_count: 0,
    });
  });

  test("the client's next sync, from the answer's next_batch, reads nothing either", async () => {
    const filterId = (
      await h.ok(
        'POST',
        `/_matrix/client/v3/user/${encodeURIComponent(bob.userId)}/filter`,
        { room: { timeline: { unread_thread_notifications: true } } },
        bob,
      )
    ).filter_id;
    const query = { filter: filterId };
    // The first with the stored filter reads it, and storage.
    let since = (await sameAsStorage(() => h.text(alice, roomId, 'stored filter'), query)).body.next_batch;
    for (const body of ['waited for', 'sent before the sync']) {
      const reads = h.syncReads;
      const before = body === 'sent before the sync';
      if (before) await h.text(alice, roomId, body);
      const poll = h.sync(bob, { ...query, since, timeout: '30000' });
      if (!before) {
        await h.waiters(1);
        await h.text(alice, roomId, body);
      }
      const answer = await poll;
      assert.equal(h.syncReads, reads, body);
      assert.deepEqual(texts(answer.rooms.join[roomId]), [body]);
      assert.deepEqual(withoutAges(answer), withoutAges(await h.sync(bob, { ...query, since })));
      since = answer.next_batch;
    }
  });

  test("the next sync from memory keeps out the rooms the filter's not_rooms names", async () => {
    const other = await h.createRoom(alice, { invite: [bob.userId] });
    await h.join(bob, other);
    const query = { filter: JSON.stringify({ room: { not_rooms: [other] } }) };
    const answer = await sameAsStorage(async () => {
      await h.text(alice, other, 'filtered out');
      await h.text(alice, roomId, 'let in');
    }, query);
    // The client's next sync: a message in each room before it.
    await h.text(alice, other, 'filtered out again');
    await h.text(alice, roomId, 'let in again');
    const reads = h.syncReads;
    const next = await h.sync(bob, { ...query, since: answer.body.next_batch });
    assert.equal(h.syncReads, reads);
    assert.equal(next.rooms.join[other], undefined);
    assert.deepEqual(texts(next.rooms.join[roomId]), ['let in again']);
    assert.deepEqual(
      withoutAges(next),
      withoutAges(await h.sync(bob, { ...query, since: answer.body.next_batch })),
    );
  });

  test("the next sync from memory keeps the device's key counts, as storage has them", async () => {
    const device = await testDevice(bob.userId, bob.deviceId);
    const uploaded = await h.ok(
      'POST',
      '/_matrix/client/v3/keys/upload',
      {
        one_time_keys: Object.fromEntries([await device.signedKey('B1'), await device.signedKey('B2')]),
        fallback_keys: Object.fromEntries([await device.signedKey('BF', true)]),
      },
      bob,
    );
    assert.deepEqual(uploaded.one_time_key_counts, { signed_curve25519: 2 });
    const answer = await sameAsStorage(() => h.text(alice, roomId, 'with keys'));
    assert.equal(answer.fromMemory, true);
    await h.text(alice, roomId, 'with keys again');
    const reads = h.syncReads;
    const next = await h.sync(bob, { since: answer.body.next_batch });
    assert.equal(h.syncReads, reads);
    assert.deepEqual(texts(next.rooms.join[roomId]), ['with keys again']);
    assert.deepEqual(next.device_one_time_keys_count, { signed_curve25519: 2 });
    assert.deepEqual(next.device_unused_fallback_key_types, ['signed_curve25519']);
    assert.deepEqual(withoutAges(next), withoutAges(await h.sync(bob, { since: answer.body.next_batch })));
  });

  test('an answer with to-device messages: the next sync reads storage (it acknowledges them)', async () => {
    const since = (await h.sync(bob)).next_batch;
    const poll = h.sync(bob, { since, timeout: '30000' });
    await h.waiters(1);
    await h.ok(
      'PUT',
      '/_matrix/client/v3/sendToDevice/m.test/td1',
      { messages: { [bob.userId]: { [bob.deviceId]: { n: 1 } } } },
      alice,
    );
    const answer = await poll;
    assert.equal(answer.to_device.events.length, 1);
    const reads = h.syncReads;
    const next = await h.sync(bob, { since: answer.next_batch });
    assert.ok(h.syncReads > reads);
    assert.deepEqual(next.to_device.events, []);
  });

  test('a room the user is not in never shows, and does not stop the view', async () => {
    const other = await h.createRoom(alice);
    await h.sync(bob);
    const outcome = await sameAsStorage(async () => {
      await h.text(alice, other, 'not for bob');
      await h.text(alice, roomId, 'for bob');
    });
    assert.equal(outcome.fromMemory, true);
    assert.equal(outcome.body.rooms.join[other], undefined);
    assert.deepEqual(texts(outcome.body.rooms.join[roomId]), ['for bob']);
  });

  test('state changes, redactions and the user leaving are read from storage', async () => {
    const named = await sameAsStorage(() =>
      h.ok('PUT', roomPath(roomId, 'state/m.room.name/'), { name: 'Named' }, alice),
    );
    assert.equal(named.fromMemory, false);
    const target = await h.text(alice, roomId, 'to be redacted');
    const redacted = await sameAsStorage(() =>
      h.ok('PUT', roomPath(roomId, `redact/${encodeURIComponent(target)}/r1`), {}, alice),
    );
    assert.equal(redacted.fromMemory, false);
    // After a fall-back the next message comes from memory again.
    const again = await sameAsStorage(() => h.text(alice, roomId, 'after the redaction'));
    assert.equal(again.fromMemory, true);
  });

  test('a write refused inside its transaction leaves nothing that stops the view', async () => {
    const refused = await h.request(
      'PUT',
      roomPath(roomId, 'state/m.room.power_levels/'),
      { users: { [bob.userId]: 100 } },
      bob,
    );
    assert.equal(refused.status, 403);
    const next = await sameAsStorage(() => h.text(alice, roomId, 'after the refusal'));
    assert.equal(next.fromMemory, true);
  });

  test('a receipt of the user is read from storage (it moves the unread counts)', async () => {
    const event = await h.text(alice, roomId, 'read me');
    const outcome = await sameAsStorage(() =>
      h.ok('POST', roomPath(roomId, `receipt/m.read/${encodeURIComponent(event)}`), {}, bob),
    );
    assert.equal(outcome.fromMemory, false);
    const next = await sameAsStorage(() => h.text(alice, roomId, 'after the receipt'));
    assert.equal(next.fromMemory, true);
    assert.deepEqual(next.body.rooms.join[roomId].unread_notifications, {
      notification_count: 1,
      highlight_count: 0,
    });
  });

  test('filters: a limit and event_fields from memory; event filters and lazy-loading from storage', async () => {
    const limited = {
      filter: JSON.stringify({ room: { timeline: { limit: 1 } }, event_fields: ['type', 'content.body'] }),
    };
    assert.equal((await sameAsStorage(() => h.text(alice, roomId, 'limit'), limited)).fromMemory, true);
    const typed = { filter: JSON.stringify({ room: { timeline: { types: ['m.room.message'] } } }) };
    assert.equal((await sameAsStorage(() => h.text(alice, roomId, 'types'), typed)).fromMemory, false);
    const lazy = { filter: JSON.stringify({ room: { state: { lazy_load_members: true } } }) };
    assert.equal((await sameAsStorage(() => h.text(alice, roomId, 'lazy'), lazy)).fromMemory, false);
  });

  test('more messages than the timeline limit: a limited timeline from memory, per-thread counts too', async () => {
    const texting = (n: number, tag: string) =>
      heldBack(async () => {
        for (let i = 0; i < n; i++) await h.text(alice, roomId, `${tag} ${i}`);
      });
    const limited = { filter: JSON.stringify({ room: { timeline: { limit: 2 } } }) };
    const gap = await sameAsStorage(() => texting(3, 'gap'), limited);
    assert.equal(gap.fromMemory, true);
    assert.equal(gap.body.rooms.join[roomId].timeline.limited, true);
    assert.deepEqual(texts(gap.body.rooms.join[roomId]), ['gap 1', 'gap 2']);
    // matrix-js-sdk's filter: the default limit (10), per-thread counts.
    const threaded = {
      filter: JSON.stringify({ room: { timeline: { unread_thread_notifications: true } } }),
    };
    await sameAsStorage(() => h.text(alice, roomId, 'before the batch'), threaded);
    const batch = await sameAsStorage(() => texting(12, 'batch'), threaded);
    assert.equal(batch.fromMemory, true);
    assert.equal(batch.body.rooms.join[roomId].timeline.events.length, 10);
  });

  test('per-thread counts (matrix-js-sdk asks for them) come from memory, thread replies too', async () => {
    const threaded = {
      filter: JSON.stringify({ room: { timeline: { unread_thread_notifications: true } } }),
    };
    const root = await h.text(alice, roomId, 'a thread root');
    const reply = (body: string) => ({
      msgtype: 'm.text',
      body,
      'm.relates_to': { rel_type: 'm.thread', event_id: root },
    });
    // The first sync with the filter walks (nothing kept yet): the next ones add.
    await sameAsStorage(() => h.text(alice, roomId, 'main'), threaded);
    const main = await sameAsStorage(() => h.text(alice, roomId, `main ${bob.userId}`), threaded);
    assert.equal(main.fromMemory, true);
    const inThread = await sameAsStorage(() => h.send(alice, roomId, reply('in the thread')), threaded);
    assert.equal(inThread.fromMemory, true);
    assert.deepEqual(inThread.body.rooms.join[roomId].unread_thread_notifications, {
      [root]: { notification_count: 1, highlight_count: 0 },
    });
    // Bob's own reply settles the thread, not the main timeline.
    const own = await sameAsStorage(() => h.send(bob, roomId, reply('mine')), threaded);
    assert.equal(own.fromMemory, true);
    assert.deepEqual(own.body.rooms.join[roomId].unread_thread_notifications, {});
    assert.ok(own.body.rooms.join[roomId].unread_notifications.notification_count > 0);
  });

  test('a room unread past the per-thread walk (500 messages): the walk slides from memory', async () => {
    const threaded = {
      filter: JSON.stringify({ room: { timeline: { unread_thread_notifications: true } } }),
    };
    const room = await h.createRoom(carol, { invite: [bob.userId] });
    await h.join(bob, room);
    const root = await h.text(carol, room, 'root');
    await h.send(carol, room, {
      msgtype: 'm.text',
      body: 'in the thread',
      'm.relates_to': { rel_type: 'm.thread', event_id: root },
    });
    // 500 messages in all: the walk's window is full, the thread reply second oldest in it.
    for (let i = 0; i < 498; i++) await h.text(carol, room, `m${i}`);
    await h.sync(bob, threaded);
    const inRoom = (outcome: { body: Json }) => outcome.body.rooms.join[room];
    // The root leaves the window: nothing counted changes.
    const slid = await sameAsStorage(() => h.text(carol, room, 'one more'), threaded);
    assert.equal(slid.fromMemory, true);
    assert.deepEqual(inRoom(slid).unread_notifications, { notification_count: 100, highlight_count: 0 });
    assert.deepEqual(inRoom(slid).unread_thread_notifications, {
      [root]: { notification_count: 1, highlight_count: 0 },
    });
    // The thread reply leaves it: its count goes, read from storage.
    const out = await sameAsStorage(() => h.text(carol, room, 'and another'), threaded);
    assert.equal(out.fromMemory, false);
    assert.deepEqual(inRoom(out).unread_thread_notifications, {});
    const again = await sameAsStorage(() => h.text(carol, room, 'and again'), threaded);
    assert.equal(again.fromMemory, true);
  });

  test('a room unread far past the count cap: the next syncs keep coming from memory as the walk slides', async () => {
    const threaded = {
      filter: JSON.stringify({ room: { timeline: { unread_thread_notifications: true } } }),
    };
    const room = await h.createRoom(carol, { invite: [bob.userId] });
    await h.join(bob, room);
    // The walk's window full (500), its newest 100 counted (the cap).
    for (let i = 0; i < 500; i++) await h.text(carol, room, `m${i}`);
    let since = (await h.sync(bob, threaded)).next_batch;
    // The client's next syncs, each from the last one's next_batch, 20 messages
    // apart (the commit log keeps 32 commits): 500 more, the window slid past
    // every event counted at first (the last five went to storage before).
    let last: { since: string; answer: Json } | undefined;
    for (let batch = 0; batch < 25; batch++) {
      for (let i = 0; i < 20; i++) await h.text(carol, room, `b${batch}.${i}`);
      const reads = h.syncReads;
      const answer = await h.sync(bob, { ...threaded, since });
      assert.equal(h.syncReads, reads, `batch ${batch} read storage`);
      assert.deepEqual(answer.rooms.join[room].unread_notifications, {
        notification_count: 100,
        highlight_count: 0,
      });
      last = { since, answer };
      since = answer.next_batch;
    }
    // The last answer is storage's.
    assert.deepEqual(
      withoutAges(last!.answer),
      withoutAges(await h.sync(bob, { ...threaded, since: last!.since })),
    );
  });

  test("the user's own reaction marks nothing read, from memory as from storage", async () => {
    const threaded = {
      filter: JSON.stringify({ room: { timeline: { unread_thread_notifications: true } } }),
    };
    const target = await h.text(alice, roomId, 'react to me');
    await h.text(alice, roomId, 'and me');
    await h.sync(bob, threaded);
    await sameAsStorage(() => h.text(alice, roomId, 'and me too'), threaded);
    for (const query of [threaded, {}]) {
      const reaction = {
        'm.relates_to': { rel_type: 'm.annotation', event_id: target, key: query === threaded ? '👍' : '🎉' },
      };
      const own = await sameAsStorage(() => h.send(bob, roomId, reaction, 'm.reaction'), query);
      assert.ok(own.body.rooms.join[roomId].unread_notifications.notification_count >= 3);
    }
  });

  test('after a restart: a room whose row no commit wrote since is known from the writes that read it', async () => {
    await h.restart();
    await h.sync(bob);
    const outcome = await sameAsStorage(() => h.text(alice, roomId, 'after the restart'));
    assert.equal(outcome.fromMemory, true);
    assert.deepEqual(texts(outcome.body.rooms.join[roomId]), ['after the restart']);
  });

  test('a room left in between is read from storage, and its later messages never show', async () => {
    const room = await h.createRoom(carol, { invite: [bob.userId] });
    await h.join(bob, room);
    const left = await sameAsStorage(() => h.leave(bob, room));
    assert.equal(left.fromMemory, false);
    assert.ok(left.body.rooms.leave[room]);
    const later = await sameAsStorage(async () => {
      await h.text(carol, room, 'after bob left');
      await h.text(alice, roomId, 'wake');
    });
    assert.equal(later.body.rooms.join[room], undefined);
    assert.equal(later.body.rooms.leave[room], undefined);
  });
});

describe('answerFromView over a commit log', () => {
  const room = '!room:test';
  const user = '@bob:test';
  const request: SyncRequest = { userId: user, deviceId: 'DEV', fullState: false, filter: {} };

  /**
   * A log whose commits so far ended at position 5, room at state group 7
   * (its last event at 5 on `groupAtP`), and Bob's empty sync at 5.
   */
  function setUp(groupAtP = 7) {
    const log = new CommitLog(rooms.COMMITTED_VIEW_LOG);
    commit(log, { stream: 4, events: [message(4)] });
    commit(log, {
      stream: 5,
      rooms: [{ room_id: room, state_group: 7 }],
      events: [message(5, { sg_before: groupAtP, sg_after: groupAtP })],
    });
    const unread = createUnreadMemo();
    keepCounts(unread, user, room, {
      position: 5,
      readPosition: 0,
      counts: { notification_count: 0, highlight_count: 0 },
    });
    const built: BuiltSync = {
      response: emptySyncResponse('s5_0'),
      joinedRooms: new Set([room]),
      position: 5,
      typingSerial: 0,
      toDeviceAcknowledged: false,
      incrementalOnly: new Set([room]),
    };
    const answerOver = (over: CommitLog, filter = {}, typingSerial = 0) =>
      answerFromView({
        view: { log: over, tables: new Set(['fed_outbox']) },
        base: { built, serial: over === log ? serial : 1 },
        request: { ...request, filter },
        typingSerial,
        now: 1000,
        unread,
      });
    const serial = log.serial;
    const answer = (filter = {}, typingSerial = 0) => answerOver(log, filter, typingSerial);
    return { log, answer, answerOver };
  }

  function message(stream: number, extra: Record<string, unknown> = {}) {
    const id = `$e${stream}`;
    return {
      event_id: id,
      room_id: room,
      stream,
      depth: stream,
      type: 'm.room.message',
      sender: '@alice:test',
      ts: stream,
      pdu: {
        event_id: id,
        room_id: room,
        type: 'm.room.message',
        sender: '@alice:test',
        origin_server_ts: stream,
        content: { msgtype: 'm.text', body: `m${stream}` },
      },
      sg_before: 7,
      sg_after: 7,
      ...extra,
    };
  }

  function commit(
    log: CommitLog,
    what: {
      stream?: number;
      events?: Record<string, unknown>[];
      rooms?: Record<string, unknown>[];
      tables?: string[];
      /** The stream counter as the write read it. */
      read?: number;
    },
    committed = true,
  ) {
    const recorder = log.recorder();
    if (what.read !== undefined) recorder.got('counters', 'stream', { name: 'stream', value: what.read });
    if (what.stream !== undefined) recorder.put('counters', { name: 'stream', value: what.stream });
    for (const row of what.rooms ?? []) recorder.put(rooms.ROOMS_TABLE, row);
    for (const row of what.events ?? []) recorder.put(rooms.EVENTS_TABLE, row);
    for (const table of what.tables ?? []) recorder.put(table, { id: 1 });
    log.record(recorder, committed);
  }

  test('new messages of one commit: the timeline from P, next_batch at the commit', () => {
    const { log, answer } = setUp();
    commit(log, { stream: 7, events: [message(6), message(7)] });
    const answered = answer()!;
    assert.equal(answered.built.position, 7);
    assert.equal(answered.built.response.next_batch, 's7_0');
    const joined = answered.built.response.rooms.join[room]!;
    assert.deepEqual(texts(joined), ['m6', 'm7']);
    assert.equal(joined.timeline.limited, false);
    assert.equal(joined.timeline.prev_batch, 't5');
    assert.deepEqual(joined.unread_notifications, { notification_count: 2, highlight_count: 0 });
  });

  test('nothing after P: an empty answer at P', () => {
    const { log, answer } = setUp();
    commit(log, { tables: ['fed_outbox'] });
    const answered = answer()!;
    assert.equal(answered.built.position, 5);
    assert.deepEqual(answered.built.response.rooms.join, {});
  });

  test('more new events than the timeline limit: a limited timeline, every new event counted', () => {
    const { log, answer } = setUp();
    commit(log, { stream: 8, events: [message(6), message(7), message(8)] });
    const joined = answer({ room: { timeline: { limit: 2 } } })!.built.response.rooms.join[room]!;
    assert.deepEqual(texts(joined), ['m7', 'm8']);
    assert.equal(joined.timeline.limited, true);
    assert.equal(joined.timeline.prev_batch, 't6');
    assert.deepEqual(joined.state.events, []);
    assert.deepEqual(joined.unread_notifications, { notification_count: 3, highlight_count: 0 });
  });

  test('a received transaction of 50 events is answered whole (the default limit of 10)', () => {
    const { log, answer } = setUp();
    const events = Array.from({ length: 50 }, (_, i) => message(6 + i));
    commit(log, { stream: 55, events });
    const joined = answer()!.built.response.rooms.join[room]!;
    assert.deepEqual(
      texts(joined),
      events.slice(-10).map((e) => e.pdu.content.body),
    );
    assert.equal(joined.timeline.limited, true);
    assert.deepEqual(joined.unread_notifications, { notification_count: 50, highlight_count: 0 });
  });

  test('a gap when the room was at other state at P (a fork merged since), or not known, goes to storage', () => {
    const forked = setUp(3);
    commit(forked.log, { stream: 8, events: [message(6), message(7), message(8)] });
    assert.equal(forked.answer({ room: { timeline: { limit: 2 } } }), undefined);
    // Not limited: the state section is empty whatever the state at P.
    assert.ok(forked.answer({ room: { timeline: { limit: 3 } } }));
    // A log started after the room's last event does not know it.
    const unknown = setUp();
    const log = new CommitLog(rooms.COMMITTED_VIEW_LOG);
    commit(log, { stream: 5, rooms: [{ room_id: room, state_group: 7 }] });
    commit(log, { stream: 8, events: [message(6), message(7), message(8)] });
    assert.equal(unknown.answerOver(log, { room: { timeline: { limit: 2 } } }), undefined);
    // An event backfilled below everything does not move the room's last event.
    const backfilled = setUp();
    commit(backfilled.log, { events: [message(-3, { sg_before: 2, sg_after: 2 })] });
    commit(backfilled.log, { stream: 8, events: [message(6), message(7), message(8)] });
    assert.ok(backfilled.answer({ room: { timeline: { limit: 2 } } }));
  });

  test('a position the commits do not account for goes to storage (no event hidden for good)', () => {
    const { log, answer } = setUp();
    commit(log, { stream: 7, events: [message(7)] });
    assert.equal(answer(), undefined);
  });

  test('a failed write, a table the view cannot read, or a log that lost entries goes to storage', () => {
    const failed = setUp();
    commit(failed.log, { stream: 6, events: [message(6)] }, false);
    assert.equal(failed.answer(), undefined);
    const receipts = setUp();
    commit(receipts.log, { stream: 6, events: [message(6)], tables: ['sync_receipts'] });
    assert.equal(receipts.answer(), undefined);
    const trimmed = setUp();
    for (let i = 0; i < 100; i++) commit(trimmed.log, { tables: ['fed_outbox'] });
    commit(trimmed.log, { stream: 6, events: [message(6)] });
    assert.equal(trimmed.answer(), undefined);
  });

  test("a room row a committed write read is the room's latest; a failed write's is not known", () => {
    for (const committed of [true, false]) {
      const log = new CommitLog(rooms.COMMITTED_VIEW_LOG);
      const recorder = log.recorder();
      recorder.got(rooms.ROOMS_TABLE, room, { room_id: room, state_group: 7 });
      log.record(recorder, committed);
      assert.deepEqual(
        log.latest(rooms.ROOMS_TABLE, room),
        committed ? { room_id: room, state_group: 7 } : undefined,
      );
    }
  });

  test('a failed write stops only the syncs it may have changed', () => {
    // The next write read the counter where the failed one did: it did not commit.
    const uncommitted = setUp();
    commit(uncommitted.log, { read: 5, stream: 6, events: [message(6, { sender: '@mallory:test' })] }, false);
    commit(uncommitted.log, { read: 5, stream: 6, events: [message(6)] });
    const joined = uncommitted.answer()!.built.response.rooms.join[room]!;
    assert.deepEqual(texts(joined), ['m6']);
    assert.equal((joined.timeline.events[0] as { sender: string }).sender, '@alice:test');
    // It did: its events are not known.
    const committed = setUp();
    commit(committed.log, { read: 5, stream: 6, events: [message(6)] }, false);
    commit(committed.log, { read: 6, stream: 7, events: [message(7)] });
    assert.equal(committed.answer(), undefined);
    // Positions the read saw, or only tables no sync reads: nothing to see.
    const seen = setUp();
    commit(seen.log, { read: 4, stream: 5, events: [message(5)] }, false);
    commit(seen.log, { tables: ['fed_outbox', 'room_extremities', 'room_extremity_sets'] }, false);
    commit(seen.log, { read: 5, stream: 6, events: [message(6)] });
    assert.deepEqual(texts(seen.answer()!.built.response.rooms.join[room]!), ['m6']);
    // A failed write of the room's row: its state group is not known any more (that room only).
    const roomRow = setUp();
    commit(roomRow.log, { rooms: [{ room_id: room, state_group: 7 }] }, false);
    commit(roomRow.log, { read: 5, stream: 6, events: [message(6)] });
    assert.equal(roomRow.answer(), undefined);
    const other = setUp();
    commit(other.log, { rooms: [{ room_id: '!other:test', state_group: 2 }] }, false);
    commit(other.log, { read: 5, stream: 6, events: [message(6)] });
    assert.deepEqual(texts(other.answer()!.built.response.rooms.join[room]!), ['m6']);
  });

  test('an event placed on other state than the room current one, or not plain, goes to storage', () => {
    const forked = setUp();
    commit(forked.log, { stream: 6, events: [message(6, { sg_before: 3, sg_after: 3 })] });
    assert.equal(forked.answer(), undefined);
    const redacted = setUp();
    commit(redacted.log, { stream: 6, events: [message(6, { redacted_by: '$r' })] });
    assert.equal(redacted.answer(), undefined);
    const state = setUp();
    commit(state.log, { stream: 6, events: [message(6, { state_key: '', type: 'm.room.topic' })] });
    assert.equal(state.answer(), undefined);
  });

  test('typing that moved, or per-thread counts not kept, go to storage', () => {
    const { log, answer } = setUp();
    commit(log, { stream: 6, events: [message(6)] });
    assert.equal(answer({ room: { timeline: { unread_thread_notifications: true } } }), undefined);
    assert.equal(answer({}, 1), undefined);
    assert.ok(answer());
  });
});
