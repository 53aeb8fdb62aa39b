// A room's forward extremities in one row from schema version 12
// (rooms/extremities.ts): a database written before keeps its rows per
// (room, event) in `room_extremities` (an upgrade changes tables, not rows),
// which are read as the room's extremities until its first write, which
// puts the set row and drops them. Over both stores, as an upgraded
// extension or `serve` opens them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RemoteBatch, extremityIds, roomWriteTables } from '../../../src/core/rooms/federation-api.ts';
import { readExtremities, writeExtremities } from '../../../src/core/rooms/extremities.ts';
import {
  extremitiesTable,
  extremitySetsTable,
  type RoomRow,
  roomsTable,
} from '../../../src/core/rooms/tables.ts';
import { SCHEMA } from '../../../src/core/schema.ts';
import type { Store } from '../../../src/core/storage/port.ts';
import { cachedHomeserverStore } from '../../../src/core/homeserver-store.ts';
import { eventsTable } from '../../../src/core/rooms/tables.ts';
import { startHarness } from './harness.ts';
import { storeKinds } from './store-kinds.ts';

const V11 = SCHEMA.filter((v) => v.version <= 11);
const V11_TABLES = Object.keys(V11[V11.length - 1]!.tables);
const ROOM = '!room:a';
const OTHER = '!other:a';

/** Rooms as version 11 left them: ROOM forked ($a, $b), OTHER with one extremity. */
async function writtenBefore(store: Store): Promise<void> {
  await store.write(V11_TABLES, async (tx) => {
    for (const roomId of [ROOM, OTHER]) {
      const room: RoomRow = {
        room_id: roomId,
        version: '12',
        creator: '@a:a',
        created_ts: 1,
        state_group: 0,
      };
      await roomsTable.put(tx, room);
    }
    await extremitiesTable.put(tx, { room_id: ROOM, event_id: '$b' });
    await extremitiesTable.put(tx, { room_id: ROOM, event_id: '$a' });
    await extremitiesTable.put(tx, { room_id: OTHER, event_id: '$o' });
  });
}

const rows = (store: Store) =>
  store.read(roomWriteTables, async (tx) => ({
    old: (await extremitiesTable.query(tx)).map((r) => `${r.room_id} ${r.event_id}`),
    sets: (await extremitySetsTable.query(tx)).map((r) => `${r.room_id} ${r.event_ids.join(',')}`),
  }));

const idsOf = (store: Store, roomId: string) => store.read(roomWriteTables, (tx) => extremityIds(tx, roomId));

for (const kind of storeKinds('extremity-sets')) {
  describe(`forward extremities in one row per room, ${kind.name}`, () => {
    test('rows written before the upgrade are the extremities until the first write, which moves them', async () => {
      const open = kind.place();
      const before = await open(V11);
      await writtenBefore(before);
      await before.close();
      const store = await open(SCHEMA);
      try {
        assert.deepEqual(await idsOf(store, ROOM), ['$a', '$b']);
        // A peer's event merging the fork: placed, it replaces both.
        await store.write(roomWriteTables, async (tx) => {
          const batch = await RemoteBatch.open(tx, ROOM, ['$c']);
          batch.placeInDag('$c', ['$a', '$b']);
          await batch.finish();
          // Read in the same transaction, after the write: the set.
          assert.deepEqual([...(await readExtremities(tx, ROOM)).ids], ['$c']);
        });
        assert.deepEqual(await idsOf(store, ROOM), ['$c']);
        assert.deepEqual(await rows(store), { old: [`${OTHER} $o`], sets: [`${ROOM} $c`] });
        // The other room, not written, still reads its old row.
        assert.deepEqual(await idsOf(store, OTHER), ['$o']);
      } finally {
        await store.close();
      }
    });

    test('a write keeps the set sorted and whole; a fork adds to it', async () => {
      const store = await kind.place()(SCHEMA);
      try {
        await store.write(roomWriteTables, async (tx) => {
          await roomsTable.put(tx, {
            room_id: ROOM,
            version: '12',
            creator: '@a:a',
            created_ts: 1,
            state_group: 0,
          });
          const read = await readExtremities(tx, ROOM);
          assert.deepEqual(read, { roomId: ROOM, ids: [], old: false });
          await writeExtremities(tx, read, ['$z', '$m', '$z']);
        });
        await store.write(roomWriteTables, async (tx) => {
          const batch = await RemoteBatch.open(tx, ROOM, ['$fork']);
          batch.placeInDag('$fork', ['$gone']);
          await batch.finish();
        });
        assert.deepEqual(await idsOf(store, ROOM), ['$fork', '$m', '$z']);
        assert.deepEqual(await rows(store), { old: [], sets: [`${ROOM} $fork,$m,$z`] });
      } finally {
        await store.close();
      }
    });
  });
}

for (const kind of ['dexie', 'sqlite'] as const) {
  test(`a local send into a room with rows from before moves them to its set, ${kind}`, async () => {
    // The extension's store has the row cache in front (homeserver-store.ts).
    const hs = await startHarness({
      kind,
      wrap: kind === 'dexie' ? (store) => cachedHomeserverStore(store, SCHEMA) : undefined,
    });
    try {
      const alice = hs.user('alice');
      const roomId = await hs.createRoom(alice, { preset: 'public_chat' });
      const tip = await hs.sendText(roomId, alice, 'before');
      // The room as a database from before version 12 holds it: its extremity in the old rows.
      await hs.store.write(roomWriteTables, async (tx) => {
        await extremitySetsTable.delete(tx, roomId);
        await extremitiesTable.put(tx, { room_id: roomId, event_id: tip });
      });
      assert.deepEqual(await idsOf(hs.store, roomId), [tip]);
      const next = await hs.sendText(roomId, alice, 'after');
      assert.deepEqual(await rows(hs.store), { old: [], sets: [`${roomId} ${next}`] });
      const row = await hs.store.read(roomWriteTables, (tx) => eventsTable.get(tx, next));
      assert.deepEqual(row?.pdu.prev_events, [tip]);
    } finally {
      await hs.close();
    }
  });
}
