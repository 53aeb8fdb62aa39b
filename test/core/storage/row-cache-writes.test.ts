// The row cache answers a write transaction's reads from memory where that is
// the committed state (row-cache.ts): rows and query answers learnt from
// commits, used only while no write opened before is still open on the
// table; a write sees its own writes; an abort or a failed request leaves
// the cache true. And answer-update.ts brings an answer up to date as the
// store would answer after the write.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { updatedAnswer } from '../../../src/core/storage/answer-update.ts';
import type { Row, Store, TableSpec } from '../../../src/core/storage/port.ts';
import { openDexieStore } from '../../../src/platform/dexie/dexie-store.ts';
import { V1 } from './conformance/fixtures.ts';
import { cached, countedStore } from './counted-store.ts';

const dexie = async (name: string) =>
  cached(await openDexieStore(`row-cache-writes-${process.pid}-${name}`, [V1], { indexedDB, IDBKeyRange }));

/** The events of room !r in depth order, as a write asks them (a room's extremities, say). */
const inRoom = { index: 'byRoomDepth', range: { lower: ['!r'], upper: ['!r', 1e9] } } as const;
const depths = (rows: readonly Row[]) => rows.map((row) => row.depth);

/** Writes one event of room !r at the depth after the deepest it reads, with the stream counter: what a send does. */
const append = (store: Store) =>
  store.write(['events', 'kv'], async (tx) => {
    const [held, counter] = await Promise.all([
      tx.query('events', inRoom),
      tx.get<{ k: string; v: number }>('kv', 'counter'),
    ]);
    const depth = held.length === 0 ? 1 : (held[held.length - 1]!.depth as number) + 1;
    const v = (counter?.v ?? 0) + 1;
    await Promise.all([
      tx.put('events', { eventId: `$${depth}`, roomId: '!r', depth }),
      tx.put('kv', { k: 'counter', v }),
    ]);
    return [depth, v];
  });

describe('a write reads the committed state from memory', () => {
  test('the next write reads the rows and answers the last one committed, without the store', async () => {
    const { store, gets, queries } = await countedStore();
    assert.deepEqual(await append(store), [1, 1]);
    assert.equal(gets() + queries(), 2, 'the first asks the store');
    assert.deepEqual(await append(store), [2, 2]);
    assert.deepEqual(await append(store), [3, 3]);
    assert.equal(gets() + queries(), 2, 'the next ones read what the commits left');
    const rows = await store.read(['events'], (tx) => tx.query('events', inRoom));
    assert.deepEqual(depths(rows), [1, 2, 3]);
    assert.equal(queries(), 1, 'a read shares the answer the writes kept up to date');
    await store.close();
  });

  test('overlapping writes each read what the one before committed, never a stale row or answer', async () => {
    // Over IndexedDB the writes' functions run together while the store runs
    // them one after the other: a write opened while another is open on the
    // table must not take its rows or answers from memory.
    const store = await dexie('overlap');
    await append(store);
    const results = await Promise.all([append(store), append(store), append(store), append(store)]);
    assert.deepEqual(
      results.sort((a, b) => a[0]! - b[0]!),
      [
        [2, 2],
        [3, 3],
        [4, 4],
        [5, 5],
      ],
    );
    assert.deepEqual(await append(store), [6, 6]);
    assert.deepEqual(
      depths(await store.read(['events'], (tx) => tx.query('events', inRoom))),
      [1, 2, 3, 4, 5, 6],
    );
    await store.close();
  });

  test('an aborted write leaves the committed rows and answers, not its own', async () => {
    const { store } = await countedStore();
    await append(store);
    await assert.rejects(
      store.write(['events', 'kv'], async (tx) => {
        await tx.query('events', inRoom);
        await tx.count('events', inRoom);
        await tx.put('events', { eventId: '$x', roomId: '!r', depth: 9 });
        await tx.delete('events', '$1');
        await tx.put('kv', { k: 'counter', v: 99 });
        throw new Error('changed my mind');
      }),
    );
    assert.deepEqual(await append(store), [2, 2]);
    const [rows, count, gone] = await store.write(['events'], (tx) =>
      Promise.all([tx.query('events', inRoom), tx.count('events', inRoom), tx.get('events', '$x')]),
    );
    assert.deepEqual([depths(rows), count, gone], [[1, 2], 2, undefined]);
    await store.close();
  });

  test('a write sees its own writes: gets from memory, queries and counts from the store', async () => {
    const { store, gets, queries } = await countedStore();
    await append(store);
    const seen = await store.write(['events', 'kv'], async (tx) => {
      const before = await tx.query('events', inRoom);
      await Promise.all([
        tx.put('events', { eventId: '$2', roomId: '!r', depth: 2 }),
        tx.delete('events', '$1'),
        tx.put('kv', { k: 'a', v: 1 }),
      ]);
      const asked = gets() + queries();
      const got = await Promise.all([tx.get('events', '$2'), tx.get('events', '$1'), tx.get('kv', 'a')]);
      assert.equal(gets() + queries(), asked, 'its own rows from memory');
      const after = await tx.query('events', inRoom);
      const count = await tx.count('events', inRoom);
      assert.equal(gets() + queries(), asked + 2, 'a table it wrote is asked of the store');
      return { before: depths(before), got, after: depths(after), count };
    });
    assert.deepEqual(seen, {
      before: [1],
      got: [{ eventId: '$2', roomId: '!r', depth: 2 }, undefined, { k: 'a', v: 1 }],
      after: [2],
      count: 1,
    });
    await store.close();
  });

  test('a row a write reads back is its own copy', async () => {
    const { store } = await countedStore();
    const row = { k: 'a', v: { n: 1 } };
    await store.write(['kv'], async (tx) => {
      await tx.put('kv', row);
      row.v.n = 2;
      (await tx.get<typeof row>('kv', 'a'))!.v.n = 3;
      assert.deepEqual(await tx.get('kv', 'a'), { k: 'a', v: { n: 1 } });
    });
    assert.deepEqual(await store.read(['kv'], (tx) => tx.get('kv', 'a')), { k: 'a', v: { n: 1 } });
    await store.close();
  });

  test('a put the store refused is not learnt, though its transaction commits', async () => {
    const { store } = await countedStore((_table, row) => row.v === 'refused');
    await store.write(['kv'], (tx) => tx.put('kv', { k: 'a', v: 'stored' }));
    await store.write(['kv'], async (tx) => {
      await tx.put('kv', { k: 'a', v: 'refused' }).catch(() => undefined);
      assert.deepEqual(await tx.get('kv', 'a'), { k: 'a', v: 'stored' }, 'read from the store');
      await tx.put('kv', { k: 'b', v: 'stored' });
    });
    const rows = await store.read(['kv'], (tx) => Promise.all([tx.get('kv', 'a'), tx.query('kv')]));
    assert.deepEqual(rows, [
      { k: 'a', v: 'stored' },
      [
        { k: 'a', v: 'stored' },
        { k: 'b', v: 'stored' },
      ],
    ]);
    await store.close();
  });

  test('an auto-increment put is learnt with the key the store assigned', async () => {
    const { store, gets, queries } = await countedStore();
    const row = { roomId: '!r', n: 1 };
    const [pos, own] = await store.write(['stream'], async (tx) => {
      const key = await tx.put('stream', row);
      return [key, await tx.get('stream', key)];
    });
    assert.deepEqual(own, { pos, roomId: '!r', n: 1 });
    assert.deepEqual(row, { roomId: '!r', n: 1 }, "the caller's row is left as it was");
    assert.deepEqual(await store.read(['stream'], (tx) => tx.get('stream', pos)), {
      pos,
      roomId: '!r',
      n: 1,
    });
    assert.equal(gets(), 0);
    const all = () =>
      store.read(['stream'], (tx) => tx.query('stream', { index: 'byRoom', range: { lower: ['!r'] } }));
    await all();
    await store.write(['stream'], (tx) => tx.put('stream', { roomId: '!r', n: 2 }));
    assert.deepEqual(
      (await all()).map((r) => r.n),
      [1, 2],
    );
    assert.equal(queries(), 1, 'the answer brought up to date with the new row');
    await store.close();
  });

  test('a count a write kept is forgotten when a commit touches its table', async () => {
    const { store, queries } = await countedStore();
    const count = () => store.write(['kv'], (tx) => tx.count('kv'));
    assert.equal(await count(), 0);
    assert.equal(await count(), 0);
    assert.equal(queries(), 1);
    await store.write(['kv'], (tx) => tx.put('kv', { k: 'a' }));
    assert.equal(await count(), 1);
    assert.equal(queries(), 2);
    await store.close();
  });
});

describe('an answer brought up to date with a write', () => {
  const spec: TableSpec = V1.tables.events!;
  const ev = (id: string, roomId: string, depth: number): Row => ({ eventId: id, roomId, depth });
  const ABSENT: Row = Object.freeze({});
  const changes = (...rows: [string, Row][]) => new Map(rows.map(([id, row]) => [`s${id}`, row]));
  const ids = (rows: readonly Row[] | undefined) => rows?.map((row) => row.eventId);

  test('rows of the keys written go, rows written that match come, in index then key order', () => {
    const rows = [ev('$a', '!r', 1), ev('$c', '!r', 2)];
    const next = updatedAnswer(
      rows,
      inRoom,
      spec,
      changes(
        ['$a', ABSENT],
        ['$b', ev('$b', '!r', 2)],
        ['$z', ev('$z', '!q', 1)],
        ['$d', ev('$d', '!r', 0)],
      ),
      ABSENT,
    );
    assert.deepEqual(ids(next), ['$d', '$b', '$c']);
    const reversed = updatedAnswer(
      rows,
      { ...inRoom, reverse: true },
      spec,
      changes(['$b', ev('$b', '!r', 2)]),
      ABSENT,
    );
    assert.deepEqual(ids(reversed), ['$c', '$b', '$a']);
  });

  test('a limit cuts the new answer; an answer as long as its limit may be cut already and is given up', () => {
    const rows = [ev('$a', '!r', 1)];
    const written = changes(['$b', ev('$b', '!r', 2)], ['$c', ev('$c', '!r', 3)]);
    assert.deepEqual(ids(updatedAnswer(rows, { ...inRoom, limit: 2 }, spec, written, ABSENT)), ['$a', '$b']);
    assert.equal(updatedAnswer(rows, { ...inRoom, limit: 1 }, spec, written, ABSENT), undefined);
  });

  test('equals, open bounds, primary key queries, auto-increment keys; multiEntry indexes are given up', () => {
    const written = changes(['$b', ev('$b', '!r', 2)], ['$c', ev('$c', '!r', 3)]);
    const equals = { index: 'byRoomDepth', equals: ['!r', 2] };
    assert.deepEqual(ids(updatedAnswer([], equals, spec, written, ABSENT)), ['$b']);
    const open = { index: 'byRoomDepth', range: { lower: ['!r', 2], lowerOpen: true } };
    assert.deepEqual(ids(updatedAnswer([], open, spec, written, ABSENT)), ['$c']);
    const byKey = { range: { upper: '$c', upperOpen: true } };
    assert.deepEqual(ids(updatedAnswer([ev('$a', '!r', 9)], byKey, spec, written, ABSENT)), ['$a', '$b']);
    assert.equal(
      updatedAnswer([], { index: 'byTag', equals: 'x' }, V1.tables.tagged!, new Map(), ABSENT),
      undefined,
    );
    const stream = V1.tables.stream!;
    const appended = new Map([['2', { pos: 2, roomId: '!r' }]]);
    assert.deepEqual(updatedAnswer([{ pos: 1, roomId: '!r' }], {}, stream, appended, ABSENT), [
      { pos: 1, roomId: '!r' },
      { pos: 2, roomId: '!r' },
    ]);
  });
});
