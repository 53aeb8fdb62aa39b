// The storage port: a small, IndexedDB-shaped table store that every storage
// implementation provides (Dexie over IndexedDB in browsers and in unit tests
// over fake-indexeddb; SQLite through node:sqlite for the headless Node peer).
// Modules of the core declare their own tables (see schema.ts) and run each
// logical operation in one transaction.
//
// The one rule callers must keep: inside a transaction, await only calls on
// the transaction object. IndexedDB commits a transaction as soon as it has no
// pending request, so awaiting anything else (WebCrypto, the network, a timer)
// inside one ends it early. Do crypto before, notify after, or await such work
// through WriteTx.hold.
// And every request issued is awaited before the transaction's function
// returns, so that a failed one fails the write: requests issued together
// and awaited later are kept in an Issued (issued.ts) and settled at the end.

/** A key in a table or index: IndexedDB's ordering (numbers before strings, arrays element-wise). */
export type Key = number | string | readonly (number | string)[];

/**
 * A secondary index: a key path (an array of paths makes a compound key), or
 * a multiEntry index over one path (IndexedDB's multiEntry, W3C IndexedDB 3.0
 * §2.7): a row whose value there is an array is in the index once under each
 * distinct valid key among its elements (invalid elements are skipped), a
 * row whose value is a single valid key once under it. So a row can carry
 * many index keys and still be written with one put.
 */
export type IndexSpec = string | readonly string[] | { readonly path: string; readonly multiEntry: true };

/** A table: primary key path(s), optional auto-increment, secondary indexes by name. */
export interface TableSpec {
  /** Key path of the primary key; an array makes a compound key. */
  readonly key: string | readonly string[];
  /** The store assigns increasing integer keys when a row has none (key must be a single path). */
  readonly autoIncrement?: boolean;
  /** Secondary indexes by name. Rows missing an index's field are not in that index. */
  readonly indexes?: Readonly<Record<string, IndexSpec>>;
}

/** One schema version: the full table list as of this version (append-only list of these). */
export interface SchemaVersion {
  readonly version: number;
  readonly tables: Readonly<Record<string, TableSpec>>;
}

export interface KeyRange {
  readonly lower?: Key;
  readonly upper?: Key;
  readonly lowerOpen?: boolean;
  readonly upperOpen?: boolean;
}

export interface Query {
  /** Query a secondary index instead of the primary key. */
  readonly index?: string;
  /** Exact match on the key (or index key); exclusive with range. */
  readonly equals?: Key;
  readonly range?: KeyRange;
  /** Highest keys first. */
  readonly reverse?: boolean;
  readonly limit?: number;
}

/** A row is any structured-cloneable object; JSON-compatible values plus Uint8Array are portable. */
export type Row = Record<string, unknown>;

export interface ReadTx {
  get<T extends Row>(table: string, key: Key): Promise<T | undefined>;
  /**
   * Rows in key order (primary or index key, then primary key). Over a
   * multiEntry index a row comes once for each of its index keys the query
   * matches, as IndexedDB's getAll does.
   */
  query<T extends Row>(table: string, query?: Query): Promise<T[]>;
  count(table: string, query?: Query): Promise<number>;
}

export interface WriteTx extends ReadTx {
  /** Inserts or replaces; returns the primary key (the assigned one for auto-increment tables). */
  put(table: string, row: Row): Promise<Key>;
  /**
   * Inserts or replaces many rows of one table (not an auto-increment one) in
   * one request where the store has one (Dexie's bulkPut: one request for the
   * lot instead of one each with its own promise); all or none are written.
   */
  putAll(table: string, rows: readonly Row[]): Promise<void>;
  /**
   * Inserts `row` unless the table holds a row under its key (IndexedDB's
   * add with its ConstraintError prevented, SQLite's INSERT OR IGNORE):
   * true when inserted, false when a row was held there, which stays as it
   * was and the transaction goes on. Lets a writer that presumes a key is
   * new skip the read that would tell (a received event: receive-pdus.ts).
   * Not into an auto-increment table (DataError), as putAll.
   */
  add(table: string, row: Row): Promise<boolean>;
  delete(table: string, key: Key): Promise<void>;
  /**
   * Deletes every row the query matches (primary key or index); returns how
   * many. Over an index or with a limit, IndexedDB reads the keys first and
   * deletes them after: a call on the same table issued beside it (not after
   * it settled) runs in between, so a row it matched and that call then
   * wrote is still deleted (SQLite runs the calls in turn: the write stays).
   * Await it before writing rows it may match (store-differential.test.ts).
   */
  deleteWhere(table: string, query: Query): Promise<number>;
  /**
   * Awaits `work`, which is not this transaction's (signature checks, say),
   * keeping the transaction open meanwhile: what the function does after it
   * still commits or aborts with the rest. IndexedDB would commit a
   * transaction left without a request, so the Dexie store issues cheap
   * reads one after the other until `work` settles (none when it settled
   * already). Other transactions over the same tables (in SQLite, every
   * transaction) wait for this one as long, so `work` must settle soon and
   * must not need this store: the caller bounds it (inbound/inbound-deps.ts
   * checksDeadlineMs). Lets a writer go on with what does not depend on
   * `work` and decide at the end whether to commit (inbound/receive-pdus.ts).
   * Asked of a transaction that has ended, it is refused as a request is
   * (TransactionInactiveError), `work` settled or not.
   */
  hold<T>(work: Promise<T>): Promise<T>;
}

export interface Store {
  /** Runs fn in one read-only transaction over the named tables. */
  read<T>(tables: readonly string[], fn: (tx: ReadTx) => Promise<T>): Promise<T>;
  /**
   * Runs fn in one read-write transaction over the named tables. Either all of
   * its writes commit or none do (fn throwing aborts); the returned promise
   * settles only after the commit is durable.
   */
  write<T>(tables: readonly string[], fn: (tx: WriteTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /**
   * A row the store already holds in memory, with no transaction at all (the
   * row cache has this; stores without one do not). For a lone lookup that
   * may be answered as of the last commit (an access token, a presence
   * state); undefined means "not in memory", not "no such row".
   */
  peek?<T extends Row>(table: string, key: Key): T | undefined;
}

/** Opens a store with the given append-only schema versions (the highest is current). */
export type StoreFactory = (name: string, versions: readonly SchemaVersion[]) => Promise<Store>;
