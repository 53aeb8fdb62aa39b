import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { openDexieStore } from '../../../src/core/storage/dexie-store.ts';
import { runStoreConformance } from './store-conformance.ts';

runStoreConformance('Dexie over fake-indexeddb', (name, versions) =>
  openDexieStore(name, versions, { indexedDB, IDBKeyRange }),
);
