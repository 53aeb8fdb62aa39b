import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import type { Row } from '../../../src/core/storage/port.ts';
import { openDexieStore } from '../../../src/platform/dexie/dexie-store.ts';
import { runStoreConformance } from '../../core/storage/store-conformance.ts';
import { harness } from '../../core/storage/conformance/fixtures.ts';

const factory = (name: string, versions: Parameters<typeof openDexieStore>[1]) =>
  openDexieStore(name, versions, { indexedDB, IDBKeyRange });

runStoreConformance('Dexie over fake-indexeddb', factory);

// What the adapter does beside Dexie (its rows go to IndexedDB's own object stores, dexie-store.ts).
describe('Dexie adapter: requests to IndexedDB under Dexie transactions', () => {
  const h = harness(factory, true);
  const keys = (rows: readonly Row[]) => rows.map((r) => r['k']).sort();

  test('a failed request the caller catches does not abort its transaction', () =>
    h.withStore(async (store) => {
      await store.write(['kv'], async (tx) => {
        await tx.put('kv', { k: 'a' });
        // No key: IndexedDB refuses the row.
        await assert.rejects(tx.put('kv', { n: 1 }), { name: 'DataError' });
        await tx.put('kv', { k: 'b' });
      });
      assert.deepEqual(keys(await store.read(['kv'], (tx) => tx.query('kv'))), ['a', 'b']);
    }));

  test('a putAll that fails in the middle rejects, and the write with it writes nothing', () =>
    h.withStore(async (store) => {
      await assert.rejects(
        store.write(['kv'], (tx) => tx.putAll('kv', [{ k: 'a' }, { n: 1 }, { k: 'c' }])),
        { name: 'DataError' },
      );
      assert.equal(await store.read(['kv'], (tx) => tx.count('kv')), 0);
    }));

  test('a table used after its transaction finished is refused, touched before or not', () =>
    h.withStore(async (store) => {
      const leaked = await store.write(['kv', 'members'], async (tx) => {
        await tx.put('kv', { k: 'a' });
        return tx;
      });
      await assert.rejects(leaked.put('kv', { k: 'late' }), { name: 'TransactionInactiveError' });
      await assert.rejects(leaked.get('kv', 'a'), { name: 'TransactionInactiveError' });
      await assert.rejects(leaked.put('members', { roomId: '!r', userId: '@u' }), {
        name: 'TransactionInactiveError',
      });
      assert.deepEqual(keys(await store.read(['kv'], (tx) => tx.query('kv'))), ['a']);
    }));
});
