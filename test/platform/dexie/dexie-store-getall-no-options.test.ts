// The Dexie store where IndexedDB's getAll and getAllKeys take no options
// (Firefox, Chromium before 141): a reversed, limited query walks a cursor
// instead (idb-reads.ts). fake-indexeddb takes them; this process makes them
// refuse an options dictionary as such a browser does, taking it for a key
// that is not one.
import { IDBIndex, IDBKeyRange, IDBObjectStore, indexedDB } from 'fake-indexeddb';
import { openDexieStore } from '../../../src/platform/dexie/dexie-store.ts';
import { runStoreConformance } from '../../core/storage/store-conformance.ts';

for (const type of [IDBObjectStore, IDBIndex]) {
  for (const name of ['getAll', 'getAllKeys'] as const) {
    const proto = type.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
    const original = proto[name]!;
    proto[name] = function (this: unknown, ...args: unknown[]) {
      const first = args[0];
      if (first !== null && typeof first === 'object' && 'direction' in first)
        throw new DOMException('The parameter is not a valid key.', 'DataError');
      return original.apply(this, args);
    };
  }
}

runStoreConformance('Dexie over fake-indexeddb whose getAll takes no options', (name, versions) =>
  openDexieStore(name, versions, { indexedDB, IDBKeyRange }),
);
