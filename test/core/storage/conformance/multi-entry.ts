// Conformance: multiEntry indexes (IndexedDB's multiEntry, W3C IndexedDB 3.0
// §2.7): a row is in the index once under each distinct valid key of its
// array, kept exact as rows are rewritten and deleted.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Query, Row, SchemaVersion, Store } from '../../../../src/core/storage/port.ts';
import { type Harness, V1 } from './fixtures.ts';

/** Rows of the `tagged` table: arrays, a repeat, a lone key, no field, compound keys beside invalid ones. */
const TAGGED: readonly Row[] = [
  { id: 'r1', tags: ['a', 'b', 'c'], kind: 1 },
  { id: 'r2', tags: ['b', 'b', 'd'] },
  { id: 'r3', tags: 'a' },
  { id: 'r4', kind: 2 },
  { id: 'r5', tags: [['x', 1], ['x', 2], {}, null, Number.NaN] },
];

const ids = (rows: readonly Row[]) => rows.map((row) => row.id);

async function withTagged<T>(h: Harness, fn: (store: Store) => Promise<T>): Promise<T> {
  return h.withStore(async (store) => {
    await store.write(['tagged'], async (tx) => {
      for (const row of [...TAGGED].reverse()) await tx.put('tagged', row);
    });
    return fn(store);
  });
}

const byTag = (query: Omit<Query, 'index'> = {}): Query => ({ index: 'byTag', ...query });
const run = (store: Store, query: Query) => store.read(['tagged'], (tx) => tx.query('tagged', query));
const count = (store: Store, query: Query) => store.read(['tagged'], (tx) => tx.count('tagged', query));

export function multiEntryTests(h: Harness): void {
  test('multiEntry: a row is under each distinct key of its array, once', () =>
    withTagged(h, async (store) => {
      // a: r1 r3, b: r1 r2, c: r1, d: r2, ['x', 1]: r5, ['x', 2]: r5; r4 has no tags.
      assert.deepEqual(ids(await run(store, byTag())), ['r1', 'r3', 'r1', 'r2', 'r1', 'r2', 'r5', 'r5']);
      assert.deepEqual(ids(await run(store, byTag({ equals: 'b' }))), ['r1', 'r2']);
      assert.deepEqual(ids(await run(store, byTag({ equals: 'a' }))), ['r1', 'r3']);
      assert.deepEqual(ids(await run(store, byTag({ equals: ['x', 2] }))), ['r5']);
      assert.equal(await count(store, byTag()), 8);
      assert.equal(await count(store, byTag({ equals: 'b' })), 2);
      // The row itself is as written, invalid elements and repeats included.
      const [r2] = await run(store, byTag({ equals: 'd' }));
      assert.deepEqual(r2, TAGGED[1]);
    }));

  test('multiEntry: ranges, reverse, limit and count', () =>
    withTagged(h, async (store) => {
      assert.deepEqual(ids(await run(store, byTag({ range: { lower: 'b', upper: 'c' } }))), [
        'r1',
        'r2',
        'r1',
      ]);
      assert.deepEqual(ids(await run(store, byTag({ range: { lower: 'b', upper: 'c', lowerOpen: true } }))), [
        'r1',
      ]);
      assert.deepEqual(ids(await run(store, byTag({ reverse: true, limit: 3 }))), ['r5', 'r5', 'r2']);
      assert.deepEqual(ids(await run(store, byTag({ range: { lower: 'a', upper: 'b' }, reverse: true }))), [
        'r2',
        'r1',
        'r3',
        'r1',
      ]);
      const compound = { lower: ['x', Number.NEGATIVE_INFINITY], upper: ['x', 1] };
      assert.deepEqual(ids(await run(store, byTag({ range: compound }))), ['r5']);
      assert.equal(await count(store, byTag({ range: { lower: 'a', upper: 'd' } })), 6);
      assert.equal(await count(store, byTag({ range: { lower: 'a', upper: 'd' }, limit: 4 })), 4);
      assert.equal(await count(store, byTag({ range: { lower: 'e', upper: 'w' } })), 0);
      // The table's other index and its primary key are unaffected.
      assert.deepEqual(ids(await run(store, { index: 'byKind' })), ['r1', 'r4']);
      assert.equal(await count(store, {}), 5);
    }));

  test('multiEntry: a row rewritten with fewer entries leaves the others', () =>
    withTagged(h, async (store) => {
      await store.write(['tagged'], (tx) => tx.put('tagged', { id: 'r1', tags: ['c', 'e'] }));
      assert.deepEqual(ids(await run(store, byTag({ equals: 'a' }))), ['r3']);
      assert.deepEqual(ids(await run(store, byTag({ equals: 'b' }))), ['r2']);
      assert.deepEqual(ids(await run(store, byTag({ equals: 'e' }))), ['r1']);
      await store.write(['tagged'], (tx) => tx.put('tagged', { id: 'r2' }));
      assert.deepEqual(ids(await run(store, byTag({ range: { lower: 'b', upper: 'd' } }))), ['r1']);
      // a: r3, c: r1, e: r1, ['x', 1] and ['x', 2]: r5.
      assert.equal(await count(store, byTag()), 5);
    }));

  test('multiEntry: deleted rows leave the index', () =>
    withTagged(h, async (store) => {
      await store.write(['tagged'], (tx) => tx.delete('tagged', 'r2'));
      assert.deepEqual(ids(await run(store, byTag({ equals: 'b' }))), ['r1']);
      assert.deepEqual(ids(await run(store, byTag({ equals: 'd' }))), []);
      const removed = await store.write(['tagged'], (tx) =>
        tx.deleteWhere('tagged', { range: { lower: 'r4', upper: 'r5' } }),
      );
      assert.equal(removed, 2);
      assert.deepEqual(ids(await run(store, byTag())), ['r1', 'r3', 'r1', 'r1']);
      assert.equal(
        await store.write(['tagged'], (tx) => tx.deleteWhere('tagged', byTag({ equals: 'c' }))),
        1,
      );
      assert.deepEqual(ids(await run(store, byTag())), ['r3']);
      assert.deepEqual(ids(await run(store, {})), ['r3']);
    }));

  test('multiEntry: deleteWhere counts the rows it deleted, not the entries that matched', () =>
    withTagged(h, async (store) => {
      // r1 is in the range three times (a, b, c), r2 twice (b, b: once in the index), r3 once.
      const removed = await store.write(['tagged'], (tx) =>
        tx.deleteWhere('tagged', byTag({ range: { lower: 'a', upper: 'c' } })),
      );
      assert.equal(removed, 3);
      assert.deepEqual(ids(await run(store, {})), ['r4', 'r5']);
      assert.deepEqual(ids(await run(store, byTag())), ['r5', 'r5']);
    }));

  test('multiEntry: putAll writes entries, a key given twice keeps its last row, an abort none', () =>
    h.withStore(async (store) => {
      await store.write(['tagged'], (tx) =>
        tx.putAll('tagged', [
          { id: 'p1', tags: ['m', 'n'] },
          { id: 'p2', tags: ['n'] },
          { id: 'p1', tags: ['o'] },
        ]),
      );
      assert.deepEqual(ids(await run(store, byTag())), ['p2', 'p1']);
      await assert.rejects(
        store.write(['tagged'], async (tx) => {
          await tx.put('tagged', { id: 'p3', tags: ['m'] });
          await tx.put('tagged', { id: 'p2', tags: ['z'] });
          throw new Error('abort');
        }),
        /abort/,
      );
      assert.deepEqual(ids(await run(store, byTag())), ['p2', 'p1']);
      assert.deepEqual(ids(await run(store, byTag({ equals: 'n' }))), ['p2']);
    }));

  if (!h.durable) return;

  test('multiEntry: an index added by an upgrade covers existing rows, and is dropped with its table', async () => {
    const plain: SchemaVersion = { version: 1, tables: { ...V1.tables, tagged: { key: 'id' } } };
    const indexed: SchemaVersion = { version: 2, tables: V1.tables };
    const { tagged: _, ...rest } = V1.tables;
    const dropped: SchemaVersion = { version: 3, tables: rest };
    const readded: SchemaVersion = { version: 4, tables: V1.tables };
    const name = h.name();
    const first = await h.open([plain], name);
    await first.write(['tagged'], async (tx) => {
      for (const row of TAGGED) await tx.put('tagged', row);
    });
    await first.close();
    const second = await h.open([plain, indexed], name);
    try {
      assert.deepEqual(ids(await run(second, byTag())), ['r1', 'r3', 'r1', 'r2', 'r1', 'r2', 'r5', 'r5']);
      await second.write(['tagged'], (tx) => tx.put('tagged', { id: 'r1', tags: ['d'] }));
      assert.deepEqual(ids(await run(second, byTag({ equals: 'd' }))), ['r1', 'r2']);
      assert.deepEqual(ids(await run(second, byTag({ equals: 'a' }))), ['r3']);
    } finally {
      await second.close();
    }
    await (await h.open([plain, indexed, dropped], name)).close();
    const fourth = await h.open([plain, indexed, dropped, readded], name);
    try {
      assert.equal(await count(fourth, byTag()), 0);
      await fourth.write(['tagged'], (tx) => tx.put('tagged', { id: 'r9', tags: ['a'] }));
      assert.deepEqual(ids(await run(fourth, byTag({ equals: 'a' }))), ['r9']);
    } finally {
      await fourth.close();
    }
  });

  test('multiEntry: upgrades drop an index from a kept table, and switch an index between whole key and multiEntry', async () => {
    const { byKind: _, ...onlyTags } = V1.tables.tagged!.indexes!;
    const withoutKind: SchemaVersion = {
      version: 2,
      tables: { ...V1.tables, tagged: { key: 'id', indexes: onlyTags } },
    };
    // byTag over the whole array as one key (an array holding an invalid key is no key: r5 is out).
    const whole: SchemaVersion = {
      version: 3,
      tables: { ...V1.tables, tagged: { key: 'id', indexes: { byTag: 'tags' } } },
    };
    const multiAgain: SchemaVersion = { version: 4, tables: withoutKind.tables };
    const name = h.name();
    const first = await h.open([V1], name);
    await first.write(['tagged'], async (tx) => {
      for (const row of TAGGED) await tx.put('tagged', row);
    });
    await first.close();
    const second = await h.open([V1, withoutKind], name);
    try {
      await assert.rejects(
        second.read(['tagged'], (tx) => tx.query('tagged', { index: 'byKind' })),
        { name: 'NotFoundError' },
      );
      assert.deepEqual(ids(await run(second, byTag())), ['r1', 'r3', 'r1', 'r2', 'r1', 'r2', 'r5', 'r5']);
    } finally {
      await second.close();
    }
    const third = await h.open([V1, withoutKind, whole], name);
    try {
      assert.deepEqual(ids(await run(third, byTag())), ['r3', 'r1', 'r2']);
      assert.deepEqual(ids(await run(third, byTag({ equals: ['a', 'b', 'c'] }))), ['r1']);
      assert.deepEqual(ids(await run(third, byTag({ equals: 'b' }))), []);
      await third.write(['tagged'], (tx) => tx.put('tagged', { id: 'r2', tags: ['e', 'f'] }));
      assert.equal(await count(third, byTag()), 3);
    } finally {
      await third.close();
    }
    const fourth = await h.open([V1, withoutKind, whole, multiAgain], name);
    try {
      assert.deepEqual(ids(await run(fourth, byTag())), ['r1', 'r3', 'r1', 'r1', 'r2', 'r2', 'r5', 'r5']);
      assert.deepEqual(ids(await run(fourth, byTag({ equals: 'e' }))), ['r2']);
      await fourth.write(['tagged'], (tx) => tx.delete('tagged', 'r1'));
      assert.deepEqual(ids(await run(fourth, byTag())), ['r3', 'r2', 'r2', 'r5', 'r5']);
    } finally {
      await fourth.close();
    }
  });
}
