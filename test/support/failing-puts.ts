// A store whose puts (and adds) to one table fail when a test says so: the put goes to
// the store beneath without its key field, which the store refuses (a real
// failed request: IndexedDB aborts the transaction, SQLite throws), so a
// test can check that a write whose request fails keeps nothing of it.
import type { Row, Store } from '../../src/core/storage/port.ts';
import { wrappedWrites } from './wrapped-writes.ts';

/** What fails: the next `times` puts to `table` (1 unless given), sent without their `key` field. */
export interface Failing {
  table?: string;
  key?: string;
  times?: number;
}

/** `inner` whose puts fail as `failing` says at the time of each put. */
export function failingPuts(inner: Store, failing: Failing): Store {
  /** The row as written: without its key when it is to fail. */
  const failed = (table: string, row: Row): Row => {
    if (table !== failing.table) return row;
    const { [failing.key!]: _dropped, ...keyless } = row;
    failing.times = (failing.times ?? 1) - 1;
    if (failing.times <= 0) failing.table = undefined;
    return keyless;
  };
  return wrappedWrites(inner, (tx) => ({
    put: (table, row) => tx.put(table, failed(table, row)),
    add: (table, row) => tx.add(table, failed(table, row)),
  }));
}
