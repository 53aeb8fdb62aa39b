// A store whose puts to one table fail when a test says so: the put goes to
// the store beneath without its key field, which the store refuses (a real
// failed request: IndexedDB aborts the transaction, SQLite throws), so a
// test can check that a write whose request fails keeps nothing of it.
import type { Store, WriteTx } from '../../src/core/storage/port.ts';

/** What fails: the next `times` puts to `table` (1 unless given), sent without their `key` field. */
export interface Failing {
  table?: string;
  key?: string;
  times?: number;
}

/** `inner` whose puts fail as `failing` says at the time of each put. */
export function failingPuts(inner: Store, failing: Failing): Store {
  return {
    read: (tables, fn) => inner.read(tables, fn),
    write: (tables, fn) =>
      inner.write(tables, (tx) =>
        fn({
          get: (table, key) => tx.get(table, key),
          query: (table, query) => tx.query(table, query),
          count: (table, query) => tx.count(table, query),
          put: (table, row) => {
            if (table !== failing.table) return tx.put(table, row);
            const { [failing.key!]: _dropped, ...keyless } = row;
            failing.times = (failing.times ?? 1) - 1;
            if (failing.times <= 0) failing.table = undefined;
            return tx.put(table, keyless);
          },
          putAll: (table, rows) => tx.putAll(table, rows),
          delete: (table, key) => tx.delete(table, key),
          deleteWhere: (table, query) => tx.deleteWhere(table, query),
        } satisfies WriteTx),
      ),
    close: () => inner.close(),
  };
}
