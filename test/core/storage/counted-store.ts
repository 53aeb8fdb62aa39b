// The row cache over a store whose requests are counted (and whose puts can
// be refused), for the row cache's tests: what reached the store, and what
// the cache answered from memory.
import type { ReadTx, Row, Store, TableSpec, WriteTx } from '../../../src/core/storage/port.ts';
import { withRowCache } from '../../../src/core/storage/row-cache.ts';
import { openSqliteStore } from '../../../src/node/storage/sqlite-store.ts';
import { V1 } from './conformance/fixtures.ts';

/** `store` behind the row cache, keeping `maxRows` rows of each of `tables` (V1's, as the homeserver gives its schema's). */
export const cached = (
  store: Store,
  maxRows = 1000,
  tables: Readonly<Record<string, TableSpec>> = V1.tables,
) => withRowCache(store, Object.fromEntries(Object.keys(tables).map((table) => [table, maxRows])), tables);

/**
 * The row cache over SQLite, counting the gets and the queries and counts
 * that reached SQLite; a put of a row `refused` answers is rejected without
 * writing (a failed request the caller catches, its transaction committing).
 */
export async function countedStore(refused: (table: string, row: Row) => boolean = () => false) {
  const inner = await openSqliteStore(':memory:', [V1]);
  let gets = 0;
  let queries = 0;
  const counting = (tx: ReadTx): ReadTx => ({
    ...tx,
    get: (table, key) => {
      gets++;
      return tx.get(table, key);
    },
    query: (table, query) => {
      queries++;
      return tx.query(table, query);
    },
    count: (table, query) => {
      queries++;
      return tx.count(table, query);
    },
  });
  const refusing = (tx: WriteTx): WriteTx => ({
    ...tx,
    ...counting(tx),
    put: (table, row) =>
      refused(table, row) ? Promise.reject(new Error('refused by the test')) : tx.put(table, row),
  });
  const store: Store = {
    read: (tables, fn) => inner.read(tables, (tx) => fn(counting(tx))),
    write: (tables, fn) => inner.write(tables, (tx) => fn(refusing(tx))),
    close: () => inner.close(),
  };
  return { store: cached(store), gets: () => gets, queries: () => queries };
}
