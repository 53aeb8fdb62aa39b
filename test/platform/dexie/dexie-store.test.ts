import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { openDexieStore } from '../../../src/platform/dexie/dexie-store.ts';
import { runStoreConformance } from '../../core/storage/store-conformance.ts';

runStoreConformance('Dexie over fake-indexeddb', (name, versions) =>
  openDexieStore(name, versions, { indexedDB, IDBKeyRange }),
);
