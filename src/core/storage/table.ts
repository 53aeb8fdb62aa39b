// A table of the storage port with its row and key types declared once, next
// to the table's name (in the manner of Hydrogen's stores and Dendrite's table
// interfaces): modules declare `const eventsTable = table<EventRow, string>(EVENTS)`
// in their tables.ts and read and write through it, so no call site names a
// table or casts its rows (`tx.get<T>(NAME, key)` trusts the caller's T; here
// the table says what its rows are and what its key looks like).
import type { Key, Query, ReadTx, Row, WriteTx } from './port.ts';

export interface Table<R extends Row, K extends Key> {
  readonly name: string;
  get(tx: ReadTx, key: K): Promise<R | undefined>;
  /** Rows in key order (primary or index key, then primary key). */
  query(tx: ReadTx, query?: Query): Promise<R[]>;
  count(tx: ReadTx, query?: Query): Promise<number>;
  /** Inserts or replaces; returns the primary key (the assigned one for auto-increment tables). */
  put(tx: WriteTx, row: R): Promise<Key>;
  /** Many rows in one request where the store has one (WriteTx.putAll). */
  putAll(tx: WriteTx, rows: readonly R[]): Promise<void>;
  /** Inserts unless a row is held under its key: true when inserted (WriteTx.add). */
  add(tx: WriteTx, row: R): Promise<boolean>;
  delete(tx: WriteTx, key: K): Promise<void>;
  /** Deletes every row the query matches; returns how many. */
  deleteWhere(tx: WriteTx, query: Query): Promise<number>;
}

export function table<R extends Row, K extends Key = Key>(name: string): Table<R, K> {
  return {
    name,
    get: (tx, key) => tx.get<R>(name, key),
    query: (tx, query) => tx.query<R>(name, query),
    count: (tx, query) => tx.count(name, query),
    put: (tx, row) => tx.put(name, row),
    putAll: (tx, rows) => tx.putAll(name, rows),
    add: (tx, row) => tx.add(name, row),
    delete: (tx, key) => tx.delete(name, key),
    deleteWhere: (tx, query) => tx.deleteWhere(name, query),
  };
}
