// Storage failures as named errors. The names follow the DOMException names
// IndexedDB (and so Dexie) uses for the same failures, so callers and the
// conformance suite can branch on `name` whichever implementation is below.

export type StorageErrorName =
  /** A key, key path or range is not valid (IndexedDB: DataError). */
  | 'DataError'
  /** A table is not in the schema or not in the transaction's scope (IndexedDB: NotFoundError). */
  | 'NotFoundError'
  /** The schema version list is not an append-only list the store can apply (IndexedDB: VersionError). */
  | 'VersionError'
  /** An auto-increment table's key generator passed 2^53 (IndexedDB: ConstraintError). */
  | 'ConstraintError'
  /** A transaction was used after it finished (IndexedDB: TransactionInactiveError). */
  | 'TransactionInactiveError'
  /**
   * A transaction was opened from inside another one on the same store and
   * awaited there: IndexedDB would commit the outer one early, a store that
   * runs one transaction at a time would wait forever.
   */
  | 'NestedTransactionError'
  /** The platform lacks what the store needs, or the store was given part of it (IndexedDB: no factory, or a factory without its IDBKeyRange). */
  | 'NotSupportedError'
  /** The store was used after close(). */
  | 'DatabaseClosedError'
  /** The device or the browser's quota is full (IndexedDB: QuotaExceededError; a disk: ENOSPC). */
  | 'QuotaExceededError';

export class StorageError extends Error {
  override readonly name: StorageErrorName;

  constructor(name: StorageErrorName, message: string) {
    super(message);
    this.name = name;
  }
}
