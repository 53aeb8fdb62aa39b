// Public entry for store implementations (src/node/storage's SQLite store,
// src/platform/dexie's IndexedDB store): the storage port they implement and
// the helpers every implementation shares, so that all of them pass one
// conformance suite (test/core/storage/store-conformance.ts).
export { StorageError, type StorageErrorName } from './storage/errors.ts';
export { isValidKey, keyAtPath, valueAtPath } from './storage/key-path.ts';
export type {
  Key,
  KeyRange,
  Query,
  ReadTx,
  Row,
  SchemaVersion,
  Store,
  StoreFactory,
  TableSpec,
  WriteTx,
} from './storage/port.ts';
export { checkVersions } from './storage/schema-versions.ts';
