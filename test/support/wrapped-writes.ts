// A store whose write transactions a test sees through: `wrap` is given
// each write's transaction and returns the parts it replaces (to fail a
// request, count them, answer them in rounds); every other part is the
// transaction's own. Reads and closing go to the store beneath.
import type { Store, WriteTx } from '../../src/core/storage/port.ts';

/** `inner`, each write's transaction with the parts `wrap` gives for it. */
export function wrappedWrites(inner: Store, wrap: (tx: WriteTx) => Partial<WriteTx>): Store {
  return {
    read: (tables, fn) => inner.read(tables, fn),
    write: (tables, fn) => inner.write(tables, (tx) => fn({ ...delegated(tx), ...wrap(tx) })),
    close: () => inner.close(),
  };
}

/** Every part of `tx`, as functions of its own: also for a transaction whose methods are not its own properties. */
function delegated(tx: WriteTx): WriteTx {
  return {
    get: (table, key) => tx.get(table, key),
    query: (table, query) => tx.query(table, query),
    count: (table, query) => tx.count(table, query),
    put: (table, row) => tx.put(table, row),
    putAll: (table, rows) => tx.putAll(table, rows),
    add: (table, row) => tx.add(table, row),
    delete: (table, key) => tx.delete(table, key),
    deleteWhere: (table, query) => tx.deleteWhere(table, query),
    hold: (work) => tx.hold(work),
  };
}
