// The extension's homeserver reaches IndexedDB through a row cache
// (row-cache.ts): it is the only writer, so the cache stays true. The Node
// peer does not use it: SQLite runs in its process, and a get there costs
// about what the cache's copy of a row does (measured: the cache cost the
// federation ingest bench about 10 % more CPU per PDU). Sizes bound
// memory; each module says how many rows of its big tables to keep.
import { roomRowCacheSizes } from './rooms/api.ts';
import { indexPath } from './storage/key-path.ts';
import type { SchemaVersion, Store, TableSpec } from './storage/port.ts';
import { type RowCacheSizes, withRowCache } from './storage/row-cache.ts';

const SIZES: RowCacheSizes = roomRowCacheSizes;
/** Any other table's rows (tokens, receipts, memberships, counters...). */
const OTHER_TABLE_ROWS = 1024;

/** `store`, opened with `schema`, behind the row cache; only for the connection the homeserver writes through. */
export function cachedHomeserverStore(store: Store, schema: readonly SchemaVersion[]): Store {
  const tables = Object.entries(schema[schema.length - 1]!.tables);
  return withRowCache(
    store,
    Object.fromEntries(tables.map(([t]) => [t, SIZES[t] ?? OTHER_TABLE_ROWS])),
    Object.fromEntries(tables.filter(([, spec]) => !spec.autoIncrement).map(([t, spec]) => [t, spec.key])),
    Object.fromEntries(tables.map(([t, spec]) => [t, multiEntryPaths(spec)])),
  );
}

/** The paths of a table's multiEntry indexes (the row cache keeps their arrays frozen). */
function multiEntryPaths(spec: TableSpec): string[] {
  return Object.values(spec.indexes ?? {})
    .map(indexPath)
    .filter(({ multiEntry }) => multiEntry)
    .map(({ path }) => path as string);
}
