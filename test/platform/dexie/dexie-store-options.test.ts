// openDexieStore's factory options: an IDBFactory and its IDBKeyRange come
// together or not at all, refused before any database is opened.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { type SchemaVersion, StorageError } from '../../../src/core/storage.ts';
import { openDexieStore } from '../../../src/platform/dexie/dexie-store.ts';

const VERSIONS: SchemaVersion[] = [{ version: 1, tables: { rows: { key: 'id' } } }];

test('a factory without its IDBKeyRange, or the reverse, is a StorageError and opens nothing', async () => {
  const name = 'options-half-given';
  for (const options of [{ indexedDB }, { IDBKeyRange }]) {
    await assert.rejects(
      openDexieStore(name, VERSIONS, options),
      (err: unknown) => err instanceof StorageError && err.name === 'NotSupportedError',
    );
  }
  const databases = await indexedDB.databases();
  assert.equal(
    databases.some((db: { name?: string }) => db.name === name),
    false,
  );
  const store = await openDexieStore(name, VERSIONS, { indexedDB, IDBKeyRange });
  await store.close();
});
