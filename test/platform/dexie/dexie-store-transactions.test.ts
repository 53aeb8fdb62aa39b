// The extension's store runs the port's transactions as IndexedDB's own
// (dexie-store.ts, transact): IndexedDB commits a transaction by itself once
// no request is pending, so a write whose function awaits anything else
// (a timer, WebCrypto, another write) is committed half-done. The port
// forbids that await (port.ts); the store must say so loudly, never resolve
// the write as if it were whole.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as wait } from 'node:timers/promises';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { type SchemaVersion, StorageError } from '../../../src/core/storage.ts';
import { openDexieStore } from '../../../src/platform/dexie/dexie-store.ts';

const VERSIONS: SchemaVersion[] = [{ version: 1, tables: { kv: { key: 'k' } } }];

test('a write whose function awaits something else than its requests rejects, never resolves half-written', async () => {
  const store = await openDexieStore(`transactions-${process.pid}`, VERSIONS, { indexedDB, IDBKeyRange });
  const inactive = (err: unknown) => err instanceof StorageError && err.name === 'TransactionInactiveError';
  await assert.rejects(
    store.write(['kv'], async (tx) => {
      await tx.put('kv', { k: 'a' });
      await wait(5);
      await tx.put('kv', { k: 'b' });
      return 'done';
    }),
    inactive,
  );
  await assert.rejects(
    store.write(['kv'], async (tx) => {
      await tx.put('kv', { k: 'c' });
      await wait(5);
      return 'value';
    }),
    inactive,
  );
  // What IndexedDB committed before the await stays (it cannot be rolled back); the rest was never written.
  const rows = await store.read(['kv'], (tx) => tx.query('kv'));
  assert.deepEqual(
    rows.map((row) => row.k),
    ['a', 'c'],
  );
  assert.equal(
    await store.write(['kv'], async (tx) => tx.put('kv', { k: 'd' }).then(() => 'whole')),
    'whole',
  );
  await store.close();
});
