// Our schema versions in Dexie's notation: `db.version(n).stores({ table: '++id,[a+b],c' })`,
// primary key first ('++' for auto-increment, '[a+b]' for compound paths), then
// the indexes ('*a' for a multiEntry one). Dexie names an index by its key
// path, so a port index name maps to that path when querying.

import { indexPath, type SchemaVersion, type TableSpec } from '../../core/storage.ts';

/** Dexie's name for a key path: 'a.b' as is, ['a', 'b'] as '[a+b]'. */
export function dexiePath(path: string | readonly string[]): string {
  return typeof path === 'string' ? path : `[${path.join('+')}]`;
}

/**
 * The stores() argument for one version. Each of our versions lists every
 * table, while Dexie carries tables over from earlier versions, so a table
 * dropped since the previous version is declared as null (Dexie's "delete").
 */
export function dexieStores(version: SchemaVersion, previous?: SchemaVersion): Record<string, string | null> {
  const stores: Record<string, string | null> = {};
  for (const name of Object.keys(previous?.tables ?? {})) stores[name] = null;
  for (const [name, spec] of Object.entries(version.tables)) stores[name] = tableSchema(spec);
  return stores;
}

function tableSchema(spec: TableSpec): string {
  const primary = dexiePath(spec.key);
  const indexes = new Set(
    Object.values(spec.indexes ?? {}).map((index) => {
      const { path, multiEntry } = indexPath(index);
      return (multiEntry ? '*' : '') + dexiePath(path);
    }),
  );
  indexes.delete(primary);
  return [(spec.autoIncrement ? '++' : '') + primary, ...indexes].join(',');
}

/** The Dexie index a port index is queried by. */
export interface DexieIndex {
  /** Dexie's name (its key path), or ':id' for the primary key (an index on its path too: the store is read). */
  readonly name: string;
  readonly multiEntry: boolean;
}

/** Per table, each port index name → the Dexie index to query (undefined: the primary key). */
export function dexieIndexNames(version: SchemaVersion): Map<string, Map<string | undefined, DexieIndex>> {
  const primary: DexieIndex = { name: ':id', multiEntry: false };
  const tables = new Map<string, Map<string | undefined, DexieIndex>>();
  for (const [name, spec] of Object.entries(version.tables)) {
    const key = dexiePath(spec.key);
    const indexes = new Map<string | undefined, DexieIndex>([[undefined, primary]]);
    for (const [index, given] of Object.entries(spec.indexes ?? {})) {
      const { path, multiEntry } = indexPath(given);
      const dexie = dexiePath(path);
      indexes.set(index, { name: dexie === key ? ':id' : dexie, multiEntry });
    }
    tables.set(name, indexes);
  }
  return tables;
}
