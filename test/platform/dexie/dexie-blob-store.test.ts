import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { runBlobStoreConformance } from '../../core/storage/blob-store-conformance.ts';
import { openDexieBlobStore } from '../../../src/platform/dexie/dexie-blob-store.ts';

runBlobStoreConformance('Dexie over fake-indexeddb', {
  open: (name) => openDexieBlobStore(name, { indexedDB, IDBKeyRange }),
  durable: true,
});
