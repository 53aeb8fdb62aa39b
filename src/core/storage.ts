// Public entry for store implementations (src/node/storage's SQLite store,
// src/platform/dexie's IndexedDB store): the storage port they implement and
// the helpers every implementation shares, so that all of them pass one
// conformance suite (test/core/storage/store-conformance.ts); and the blob
// port for media content (blob-port.ts) with its memory implementation.
export {
  BLOB_CHUNK_BYTES,
  type BlobRange,
  type BlobStore,
  type BlobWriter,
} from './storage/blob-port.ts';
export { memoryBlobStore } from './storage/memory-blob-store.ts';
export { StorageError, type StorageErrorName } from './storage/errors.ts';
export { indexPath, isValidKey, keyAtPath, keyId, multiEntryKeys, valueAtPath } from './storage/key-path.ts';
export type {
  IndexSpec,
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
