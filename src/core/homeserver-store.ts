// The extension's homeserver reaches IndexedDB through a row cache
// (row-cache.ts): it is the only writer, so the cache stays true. The Node
// peer does not use it: SQLite runs in its process, and a get there costs
// about what the cache's copy of a row does (measured: the cache cost the
// federation ingest bench about 10 % more CPU per PDU). Sizes bound
// memory; each module says how many rows of its big tables to keep.
import { roomRowCacheSizes } from './rooms/api.ts';
import type { SchemaVersion, Store } from './storage/port.ts';
import { type RowCacheSizes, withRowCache } from './storage/row-cache.ts';

const SIZES: RowCacheSizes = roomRowCacheSizes;
/** Any other table's rows (tokens, receipts, memberships, counters...). */
const OTHER_TABLE_ROWS = 1024;

/** `store`, opened with `schema`, behind the row cache; only for the connection the homeserver writes through. */
export function cachedHomeserverStore(store: Store, schema: readonly SchemaVersion[]): Store {
  const tables = schema[schema.length - 1]!.tables;
  return withRowCache(
    store,
    Object.fromEntries(Object.keys(tables).map((t) => [t, SIZES[t] ?? OTHER_TABLE_ROWS])),
    tables,
  );
}
