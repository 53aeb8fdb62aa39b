// Conformance: key order, index and range queries, count and deleteWhere.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Key, Query, Row, Store } from '../../../../src/core/storage/port.ts';
import { type Harness, ids, withEvents } from './fixtures.ts';

/** Valid keys in IndexedDB order: numbers, then strings by UTF-16 code unit, then arrays element-wise. */
export const ORDERED_KEYS: readonly Key[] = [
  Number.NEGATIVE_INFINITY,
  -1e300,
  -5,
  -0.5,
  0,
  1e-300,
  1.5,
  10,
  2 ** 53,
  Number.POSITIVE_INFINITY,
  '',
  '\u0000',
  '\u0000\u0000',
  '\u0001',
  ' ',
  '10',
  '9',
  'B',
  'a',
  'a\u0000',
  'a\u0000b',
  'a\u0001',
  'aa',
  'ab',
  'b',
  'é',
  '\u07ff',
  '\u0800',
  '😀',
  '\ue000',
  '\uffff',
  [],
  [-1],
  [1],
  [1, 'a'],
  [2],
  [''],
  ['a'],
  ['a', 1],
  ['a', 2],
  ['a', ''],
  ['a', 'b'],
  ['a\u0000'],
  ['ab'],
];

const run = (store: Store, query?: Query) => store.read(['events'], (tx) => tx.query('events', query));

export function queryTests(h: Harness): void {
  test('keys sort in IndexedDB order', () =>
    h.withStore(async (store) => {
      const shuffled = [...ORDERED_KEYS].sort(() => 0.5 - Math.random());
      await store.write(['kv'], async (tx) => {
        for (const k of shuffled) await tx.put('kv', { k });
      });
      const rows = await store.read(['kv'], (tx) => tx.query<Row>('kv'));
      assert.deepEqual(
        rows.map((row) => row.k),
        ORDERED_KEYS,
      );
      const reversed = await store.read(['kv'], (tx) => tx.query<Row>('kv', { reverse: true }));
      assert.deepEqual(
        reversed.map((row) => row.k),
        [...ORDERED_KEYS].reverse(),
      );
    }));

  test('primary key queries: all, ranges, open bounds, limit, reverse', () =>
    withEvents(h, async (store) => {
      assert.deepEqual(ids(await run(store)), ['$a1', '$a2', '$a3', '$a4', '$a5', '$b1', '$b2', '$b3']);
      assert.deepEqual(ids(await run(store, { range: { lower: '$a4', upper: '$b1' } })), [
        '$a4',
        '$a5',
        '$b1',
      ]);
      const open = { lower: '$a4', upper: '$b1', lowerOpen: true, upperOpen: true };
      assert.deepEqual(ids(await run(store, { range: open })), ['$a5']);
      assert.deepEqual(ids(await run(store, { range: { lower: '$b2' } })), ['$b2', '$b3']);
      assert.deepEqual(ids(await run(store, { range: { lower: '$b2', lowerOpen: true } })), ['$b3']);
      assert.deepEqual(ids(await run(store, { range: { upper: '$a2' } })), ['$a1', '$a2']);
      assert.deepEqual(ids(await run(store, { range: { upper: '$a2', upperOpen: true } })), ['$a1']);
      assert.deepEqual(ids(await run(store, { limit: 2 })), ['$a1', '$a2']);
      assert.deepEqual(ids(await run(store, { reverse: true, limit: 2 })), ['$b3', '$b2']);
      assert.deepEqual(ids(await run(store, { equals: '$a3' })), ['$a3']);
    }));

  test('empty ranges return no rows', () =>
    withEvents(h, async (store) => {
      assert.deepEqual(await run(store, { range: { lower: '$b1', upper: '$a1' } }), []);
      assert.deepEqual(await run(store, { range: { lower: '$a1', upper: '$a1', lowerOpen: true } }), []);
      assert.deepEqual(await run(store, { equals: '$zz' }), []);
      assert.deepEqual(ids(await run(store, { range: { lower: '$a1', upper: '$a1' } })), ['$a1']);
    }));

  test('a query with both equals and range is a DataError', () =>
    withEvents(h, async (store) => {
      await assert.rejects(run(store, { equals: '$a1', range: { lower: '$a1' } }), { name: 'DataError' });
    }));

  test('index equals returns rows in primary key order, reversed with reverse', () =>
    withEvents(h, async (store) => {
      assert.deepEqual(ids(await run(store, { index: 'bySender', equals: '@x' })), [
        '$a1',
        '$a3',
        '$a5',
        '$b3',
      ]);
      const reverse = await run(store, { index: 'bySender', equals: '@x', reverse: true });
      assert.deepEqual(ids(reverse), ['$b3', '$a5', '$a3', '$a1']);
      const lastTwo = await run(store, { index: 'bySender', equals: '@x', reverse: true, limit: 2 });
      assert.deepEqual(ids(lastTwo), ['$b3', '$a5']);
      const compound = await run(store, { index: 'byRoomDepth', equals: ['!b', 2] });
      assert.deepEqual(ids(compound), ['$b2']);
    }));

  test('compound index prefix ranges select one room in depth order', () =>
    withEvents(h, async (store) => {
      const room = (lower: number, upper: number, extra: Query = {}): Query => ({
        index: 'byRoomDepth',
        range: { lower: ['!a', lower], upper: ['!a', upper], ...extra.range },
        ...(extra.reverse ? { reverse: true } : {}),
        ...(extra.limit ? { limit: extra.limit } : {}),
      });
      const all = room(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
      assert.deepEqual(ids(await run(store, all)), ['$a1', '$a2', '$a3', '$a4', '$a5']);
      assert.deepEqual(ids(await run(store, room(2, 4))), ['$a2', '$a3', '$a4']);
      assert.deepEqual(
        ids(await run(store, { ...room(2, 4), range: { ...room(2, 4).range, lowerOpen: true } })),
        ['$a3', '$a4'],
      );
      assert.deepEqual(
        ids(await run(store, { ...room(2, 4), range: { ...room(2, 4).range, upperOpen: true } })),
        ['$a2', '$a3'],
      );
      assert.deepEqual(ids(await run(store, { ...all, reverse: true, limit: 2 })), ['$a5', '$a4']);
    }));

  test('rows missing an indexed field are not in that index', () =>
    withEvents(h, async (store) => {
      assert.deepEqual(ids(await run(store, { index: 'byType' })), ['$a1', '$b1', '$a3', '$a5']);
      assert.deepEqual(ids(await run(store, { index: 'bySender', range: { lower: '@y' } })), [
        '$a2',
        '$a4',
        '$b1',
      ]);
      assert.equal(await store.read(['events'], (tx) => tx.count('events', { index: 'bySender' })), 7);
    }));

  test('count counts what the same query returns', () =>
    withEvents(h, async (store) => {
      const count = (query?: Query) => store.read(['events'], (tx) => tx.count('events', query));
      assert.equal(await count(), 8);
      assert.equal(await count({ index: 'byRoomDepth', range: { lower: ['!b', 0], upper: ['!b', 9] } }), 3);
      assert.equal(await count({ index: 'bySender', equals: '@x', limit: 2 }), 2);
      assert.equal(await count({ equals: '$none' }), 0);
      assert.equal(await count({ range: { lower: '$b1', upper: '$a1' } }), 0);
      assert.equal(await count({ range: { lower: '$a1', upper: '$a1', upperOpen: true } }), 0);
      assert.equal(await count({ range: { lower: '$a4' }, limit: 10 }), 5);
    }));

  test('deleteWhere deletes what the query matches and returns how many', () =>
    withEvents(h, async (store) => {
      const removed = await store.write(['events'], (tx) =>
        tx.deleteWhere('events', { index: 'byRoomDepth', range: { lower: ['!a', 2], upper: ['!a', 4] } }),
      );
      assert.equal(removed, 3);
      assert.equal(
        await store.write(['events'], (tx) => tx.deleteWhere('events', { index: 'bySender', equals: '@y' })),
        1,
      );
      assert.equal(
        await store.write(['events'], (tx) => tx.deleteWhere('events', { range: { lower: '$b3' } })),
        1,
      );
      assert.deepEqual(ids(await run(store)), ['$a1', '$a5', '$b2']);
    }));

  test('deleteWhere with limit deletes the first rows in query order', () =>
    withEvents(h, async (store) => {
      const oldest = { index: 'byRoomDepth', range: { lower: ['!a', 0], upper: ['!a', 9] }, limit: 2 };
      assert.equal(await store.write(['events'], (tx) => tx.deleteWhere('events', oldest)), 2);
      const newest = { ...oldest, reverse: true, limit: 1 };
      assert.equal(await store.write(['events'], (tx) => tx.deleteWhere('events', newest)), 1);
      assert.deepEqual(ids(await run(store)), ['$a3', '$a4', '$b1', '$b2', '$b3']);
    }));

  test('an unknown index or a table outside the transaction is a NotFoundError', () =>
    withEvents(h, async (store) => {
      await assert.rejects(run(store, { index: 'noSuchIndex' }), { name: 'NotFoundError' });
      await assert.rejects(
        store.read(['events'], (tx) => tx.get('kv', 'a')),
        { name: 'NotFoundError' },
      );
      await assert.rejects(
        store.read(['noSuchTable'], (tx) => tx.get('noSuchTable', 'a')),
        { name: 'NotFoundError' },
      );
    }));
}
