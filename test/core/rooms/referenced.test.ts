// Ids referenced before they are placed (rooms/tables.ts `room_referenced`,
// schema version 10): placing a batch of events from peers asks whether an
// event already has children or thread replies only of the ids these rows
// name (remote-batch.ts), so every way an event can get a child or a reply
// before it is placed must leave a row, and a room held before the table
// (upgraded from version 9, no rows) must still be asked of every event.
// Over both stores, as an upgraded extension or `serve` opens them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RoomEvent } from '../../../src/core/protocol.ts';
import { roomVersion } from '../../../src/core/protocol.ts';
import {
  RemoteBatch,
  extremityIds,
  persistBackfilledEvent,
  persistRemoteEvent,
  roomWriteTables,
} from '../../../src/core/rooms/federation-api.ts';
import {
  type EventRow,
  edgesTable,
  eventsTable,
  extremitiesTable,
  type RoomRow,
  referencedTable,
  roomsTable,
} from '../../../src/core/rooms/tables.ts';
import { noteThreadReply, THREAD } from '../../../src/core/rooms/threads.ts';
import { EventRows } from '../../../src/core/federation/event-checks.ts';
import { SCHEMA } from '../../../src/core/schema.ts';
import type { Store, WriteTx } from '../../../src/core/storage/port.ts';
import { storeKinds } from './store-kinds.ts';

const V9 = SCHEMA.filter((v) => v.version <= 9);
const ROOM = '!room:a';

const KINDS = storeKinds('referenced');

/** A room held here whose one forward extremity is `$tip`; `referenced` as a room created at version 10 has it. */
async function heldRoom(store: Store, tables: readonly string[], referenced: boolean): Promise<void> {
  const room: RoomRow = { room_id: ROOM, version: '12', creator: '@a:a', created_ts: 1, state_group: 0 };
  if (referenced) room.referenced = true;
  await store.write(tables, async (tx) => {
    await roomsTable.put(tx, room);
    await extremitiesTable.put(tx, { room_id: ROOM, event_id: '$tip' });
  });
}

/** A timeline event's row, as placing writes it (only what the thread and DAG lookups read). */
function timelineRow(eventId: string, stream: number, thread?: string): EventRow {
  const row = {
    event_id: eventId,
    room_id: ROOM,
    stream,
    depth: stream,
    type: 'm.room.message',
    sender: '@a:a',
    ts: stream,
    pdu: {},
    sg_before: 0,
    sg_after: 0,
  } as unknown as EventRow;
  if (thread !== undefined) {
    row.relates_to = thread;
    row.rel_type = THREAD;
  }
  return row;
}

/** What a batch opened for `eventId` says of it: has children, has thread replies. */
function lookups(store: Store, eventId: string) {
  return store.write(roomWriteTables, async (tx) => {
    const batch = await RemoteBatch.open(tx, ROOM, [eventId]);
    return { children: batch.hasChildren(eventId), replies: await batch.hasThreadReplies(eventId) };
  });
}

/** Places `eventId` after `prevs` as a batch of its own; the caller read `settled` as placed. */
function place(
  store: Store,
  eventId: string,
  prevs: readonly string[],
  settled: string[] = [],
): Promise<void> {
  return store.write(roomWriteTables, async (tx: WriteTx) => {
    const batch = await RemoteBatch.open(tx, ROOM, [eventId], { laterAsRead: (id) => !settled.includes(id) });
    batch.placeInDag(eventId, prevs);
    await batch.finish();
  });
}

/** A message event as a peer signed it (only what placing reads). */
function message(eventId: string, prevs: readonly string[], depth: number): RoomEvent {
  return {
    event_id: eventId,
    room_id: ROOM,
    type: 'm.room.message',
    sender: '@a:a',
    content: { msgtype: 'm.text', body: `text of ${eventId}` },
    prev_events: [...prevs],
    auth_events: [],
    depth,
    origin_server_ts: depth,
  } as unknown as RoomEvent;
}

const V12 = roomVersion('12')!;

const referencedIds = (store: Store) =>
  store.read(roomWriteTables, async (tx) => (await referencedTable.query(tx)).map((r) => r.event_id));

const edgeRows = (store: Store) =>
  store.read(roomWriteTables, async (tx) =>
    (await edgesTable.query(tx)).map((r) => `${r.prev_id}>${r.event_id}`),
  );

/** `$tip` is placed (as read by the caller of a batch); every other id may be placed later. */
const placedTip = (id: string) => id !== '$tip';

/** A thread reply to `root`, as a peer signed it. */
function reply(eventId: string, root: string, prevs: readonly string[], depth: number): RoomEvent {
  const event = message(eventId, prevs, depth);
  return {
    ...event,
    content: { ...event.content, 'm.relates_to': { rel_type: THREAD, event_id: root } },
  } as RoomEvent;
}

for (const kind of KINDS) {
  describe(`ids referenced before they are placed, ${kind.name}`, () => {
    test('an event placed after its child knows it has one, and is no forward extremity', async () => {
      const store = await kind.place()(SCHEMA);
      try {
        await heldRoom(store, roomWriteTables, true);
        await place(store, '$child', ['$tip', '$late']);
        assert.deepEqual(await referencedIds(store), ['$late']);
        assert.deepEqual((await lookups(store, '$late')).children, true);
        assert.deepEqual((await lookups(store, '$other')).children, false);
        // Its prev event is placed (no longer an extremity): the survey read it so, no row for it.
        await place(store, '$late', ['$tip'], ['$tip']);
        const extremities = await store.read(roomWriteTables, (tx) => extremityIds(tx, ROOM));
        assert.deepEqual(extremities, ['$child']);
        assert.deepEqual(await referencedIds(store), [], 'placed, its row goes');
      } finally {
        await store.close();
      }
    });

    test('a thread root placed after a reply, or held as an outlier then, knows it has replies', async () => {
      const store = await kind.place()(SCHEMA);
      try {
        await heldRoom(store, roomWriteTables, true);
        await store.write(roomWriteTables, async (tx) => {
          await eventsTable.put(tx, { ...timelineRow('$outlier', 1), stream: undefined, outlier: true });
          for (const [id, stream, root] of [
            ['$r1', 2, '$root'],
            ['$r2', 3, '$outlier'],
          ] as const) {
            const row = timelineRow(id, stream, root);
            await eventsTable.put(tx, row);
            await noteThreadReply(tx, row);
          }
        });
        assert.deepEqual((await referencedIds(store)).sort(), ['$outlier', '$root']);
        assert.deepEqual(await lookups(store, '$root'), { children: false, replies: true });
        assert.deepEqual(await lookups(store, '$outlier'), { children: false, replies: true });
        assert.deepEqual(await lookups(store, '$r1'), { children: false, replies: false });
      } finally {
        await store.close();
      }
    });

    test('backfill drops the rows of the events it places, and writes none for settled prev events, but one for a rejected outlier', async () => {
      const store = await kind.place()(SCHEMA);
      try {
        await heldRoom(store, roomWriteTables, true);
        // A peer's event names $b2, not held yet.
        await place(store, '$child', ['$tip', '$b2']);
        await store.write(roomWriteTables, async (tx) => {
          // A soft-failed event: never placed again. A rejected outlier (from an
          // auth chain) may be: it is checked again then, against auth events a
          // redaction may have cut since.
          await eventsTable.put(tx, {
            ...timelineRow('$rej', 0),
            stream: undefined,
            outlier: true,
            rejected: '4',
          });
          await eventsTable.put(tx, { ...timelineRow('$soft', 0), stream: undefined, soft_failed: true });
          // History, oldest first, as backfill places a page.
          await persistBackfilledEvent(tx, message('$b1', ['$gone', '$rej', '$soft'], 1), V12, {
            sgBefore: 0,
            stream: -2,
          });
          await persistBackfilledEvent(tx, message('$b2', ['$b1'], 2), V12, { sgBefore: 0, stream: -1 });
          // A rejected event is no child, as placing from peers counts it: no row for its prev event.
          await persistBackfilledEvent(tx, message('$bad', ['$unheld'], 2), V12, {
            sgBefore: 0,
            stream: 0,
            rejected: '4: test',
          });
        });
        assert.deepEqual(
          (await referencedIds(store)).sort(),
          ['$gone', '$rej'],
          '$b2 placed, its row went; $b1 was placed first',
        );
        assert.ok(!(await edgeRows(store)).includes('$unheld>$bad'));
        // Placed as rejected from a peer: settled, its row goes too.
        await store.write(roomWriteTables, (tx) =>
          persistRemoteEvent(tx, message('$gone', [], 1), V12, { sgBefore: 0, rejected: '4: test' }),
        );
        assert.deepEqual(await referencedIds(store), ['$rej']);
      } finally {
        await store.close();
      }
    });

    test('an event placed after its child or its thread reply in the same batch leaves no row nor edge', async () => {
      const store = await kind.place()(SCHEMA);
      try {
        await heldRoom(store, roomWriteTables, true);
        // The child comes first (v1/v2 cycles); once with the batch's rows flushed between them.
        for (const flushed of [false, true])
          await store.write(roomWriteTables, async (tx) => {
            const [child, parent] = flushed ? ['$c2', '$p2'] : ['$c1', '$p1'];
            const batch = await RemoteBatch.open(tx, ROOM, [child, parent], { laterAsRead: placedTip });
            batch.placeInDag(child, [parent]);
            if (flushed) batch.flush();
            batch.placeInDag(parent, ['$tip']);
            await batch.finish();
          });
        assert.deepEqual(await referencedIds(store), []);
        // An edge already written stays, as an event's edges stay once it is placed: nothing asks for them then.
        assert.deepEqual(await edgeRows(store), ['$p2>$c2'], 'the unflushed edge was never written');
        // A thread reply placed before its root (ordered by prev events, not by thread).
        await store.write(roomWriteTables, async (tx) => {
          const events = [reply('$reply', '$root', ['$tip'], 1), message('$root', ['$tip'], 1)];
          const batch = await RemoteBatch.open(
            tx,
            ROOM,
            events.map((e) => e.event_id),
            { laterAsRead: placedTip },
          );
          for (const event of events) await persistRemoteEvent(tx, event, V12, { sgBefore: 0 }, batch);
          await batch.finish();
        });
        assert.deepEqual(await referencedIds(store), [], 'the root is placed: its row went');
        assert.deepEqual(await lookups(store, '$root'), { children: false, replies: false });
      } finally {
        await store.close();
      }
    });

    test("a redaction's target read as placed stays so once its row is read afresh", async () => {
      const store = await kind.place()(SCHEMA);
      try {
        await heldRoom(store, roomWriteTables, true);
        await store.write(roomWriteTables, async (tx) => {
          await eventsTable.put(tx, timelineRow('$target', 1));
          await eventsTable.put(tx, { ...timelineRow('$outlier', 0), stream: undefined, outlier: true });
          const held = new EventRows(tx);
          await held.prefetch(['$target', '$outlier']);
          held.forget('$target');
          held.forget('$outlier');
          assert.equal(held.mayBePlacedLater('$target'), false);
          assert.equal(held.mayBePlacedLater('$outlier'), true);
          // So a batch placing a child of the target writes neither a row nor an edge for it.
          const batch = await RemoteBatch.open(tx, ROOM, ['$child'], {
            laterAsRead: (id) => held.mayBePlacedLater(id),
          });
          batch.placeInDag('$child', ['$target', '$outlier']);
          await batch.finish();
        });
        assert.deepEqual(await referencedIds(store), ['$outlier']);
        assert.deepEqual(await edgeRows(store), ['$outlier>$child']);
      } finally {
        await store.close();
      }
    });

    test('a room held before the upgrade to version 10 is asked of every event', async () => {
      const open = kind.place();
      const old = await open(V9);
      const v9Tables = roomWriteTables.filter((name) => name in V9.at(-1)!.tables);
      await heldRoom(old, v9Tables, false);
      await old.write(v9Tables, async (tx) => {
        await edgesTable.put(tx, { prev_id: '$late', event_id: '$child' });
        await eventsTable.put(tx, timelineRow('$reply', 2, '$root'));
      });
      await old.close();
      const store = await open(SCHEMA);
      try {
        assert.deepEqual(await referencedIds(store), [], 'the table starts empty');
        assert.deepEqual(await lookups(store, '$late'), { children: true, replies: false });
        assert.deepEqual(await lookups(store, '$root'), { children: false, replies: true });
        assert.deepEqual(await lookups(store, '$other'), { children: false, replies: false });
      } finally {
        await store.close();
      }
    });
  });
}
