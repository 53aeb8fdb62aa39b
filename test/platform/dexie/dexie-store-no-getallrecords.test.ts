// The Dexie store where IndexedDB has no getAllRecords (Firefox, Chromium
// before 141): a reversed, limited query walks a cursor instead
// (idb-reads.ts). fake-indexeddb has getAllRecords; this process takes it away.
import { IDBIndex, IDBKeyRange, IDBObjectStore, indexedDB } from 'fake-indexeddb';
import { openDexieStore } from '../../../src/platform/dexie/dexie-store.ts';
import { runStoreConformance } from '../../core/storage/store-conformance.ts';

for (const type of [IDBObjectStore, IDBIndex]) {
  delete (type.prototype as { getAllRecords?: unknown }).getAllRecords;
}

runStoreConformance('Dexie over fake-indexeddb without getAllRecords', (name, versions) =>
  openDexieStore(name, versions, { indexedDB, IDBKeyRange }),
);
