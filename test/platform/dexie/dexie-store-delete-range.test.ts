// deleteWhere over the store's own keys, whole (no index, limit or order), is
// one count and one delete (or clear) request (idb-reads.ts, deleteRange):
// every shape of range it takes deletes and counts what the query matches.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import type { Query, SchemaVersion } from '../../../src/core/storage.ts';
import { openDexieStore } from '../../../src/platform/dexie/dexie-store.ts';

const VERSIONS: SchemaVersion[] = [{ version: 1, tables: { kv: { key: 'k' } } }];

test('deleteWhere over a primary-key range deletes and counts what it matches', async () => {
  const store = await openDexieStore(`delete-range-${process.pid}`, VERSIONS, { indexedDB, IDBKeyRange });
  const cases: [Query, number, string[]][] = [
    [{ equals: 'c' }, 1, ['a', 'b', 'd', 'e']],
    [{ equals: 'z' }, 0, ['a', 'b', 'c', 'd', 'e']],
    [{ range: { lower: 'b', upper: 'd', upperOpen: true } }, 2, ['a', 'd', 'e']],
    [{ range: { lower: 'd' } }, 2, ['a', 'b', 'c']],
    [{ range: { upper: 'b', upperOpen: true } }, 1, ['b', 'c', 'd', 'e']],
    [{ range: { lower: 'd', upper: 'b' } }, 0, ['a', 'b', 'c', 'd', 'e']],
    [{}, 5, []],
  ];
  for (const [query, count, left] of cases) {
    await store.write(['kv'], (tx) =>
      tx.putAll(
        'kv',
        ['a', 'b', 'c', 'd', 'e'].map((k) => ({ k })),
      ),
    );
    assert.equal(
      await store.write(['kv'], (tx) => tx.deleteWhere('kv', query)),
      count,
      JSON.stringify(query),
    );
    const rows = await store.read(['kv'], (tx) => tx.query('kv'));
    assert.deepEqual(
      rows.map((row) => row.k),
      left,
      JSON.stringify(query),
    );
  }
  await store.close();
});
