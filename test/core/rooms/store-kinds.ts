// Both stores, each opened again and again on one database at a schema list
// of the caller's choosing (an older list, then SCHEMA): how the upgrade
// tests hold a store as a release left it and open it as an upgraded
// extension or `serve` does. Files of the SQLite kind go when the process's
// tests are done.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { cachedHomeserverStore } from '../../../src/core/homeserver-store.ts';
import type { SchemaVersion, Store } from '../../../src/core/storage/port.ts';
import { openSqliteStore } from '../../../src/node/storage/sqlite-store.ts';
import { openDexieStore } from '../../../src/platform/dexie/dexie-store.ts';

/** Opens one store at a schema list: the same database each call, as a restart does. */
export type Opener = (versions: readonly SchemaVersion[]) => Promise<Store>;

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** Dexie (over fake-indexeddb, with the homeserver's row cache) and SQLite; `place()` makes a new database. */
export function storeKinds(label: string): readonly { name: string; place: () => Opener }[] {
  return [
    {
      name: 'Dexie (IndexedDB)',
      place: () => {
        const name = `${label}-${Math.random()}`;
        return async (versions) =>
          cachedHomeserverStore(await openDexieStore(name, versions, { indexedDB, IDBKeyRange }), versions);
      },
    },
    {
      name: 'SQLite',
      place: () => {
        const root = mkdtempSync(join(tmpdir(), `p2pm-${label}-test-`));
        roots.push(root);
        return (versions) => openSqliteStore(join(root, 'hs.sqlite'), versions);
      },
    },
  ];
}
