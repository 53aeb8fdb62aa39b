// The second storage port: media content, kept apart from the table store
// (port.ts) because its rows are big and many. A blob is written once, in
// order, chunk by chunk (an upload is never held whole in memory), and only
// becomes readable once `finish` made it durable; it is then immutable until
// deleted. Implementations: IndexedDB through Dexie (src/platform/dexie,
// chunk rows in a database of their own, so the homeserver's row cache never
// holds them), files on disk (src/node/storage) and memory (memory-blob-store.ts,
// for a `serve` without a data directory). One conformance suite holds all of
// them (test/core/storage/blob-store-conformance.ts).
//
// Nothing half-written is ever served: the metadata that names a blob (the
// media module's rows) is committed after `finish`, so a crash in between
// leaves an orphan blob nobody refers to, which `ids` lets the owner sweep.

/** Where a read starts and how much it returns (bytes); the whole blob by default. */
export interface BlobRange {
  readonly offset?: number;
  readonly length?: number;
}

export interface BlobWriter {
  /** The blob's id, chosen by the store. */
  readonly id: string;
  /** Appends bytes (any length; the store cuts its own chunks). */
  append(bytes: Uint8Array): Promise<void>;
  /** Makes everything appended durable and readable; returns the blob's size. */
  finish(): Promise<number>;
  /** Forgets what was appended (nothing of it is ever readable). */
  abort(): Promise<void>;
}

export interface BlobStore {
  /** Starts a new blob. */
  create(): Promise<BlobWriter>;
  /**
   * The bytes of a finished blob, in order, as chunks of the store's size.
   * Throws StorageError 'NotFoundError' when there is no finished blob `id`
   * (before the first chunk is yielded).
   */
  read(id: string, range?: BlobRange): AsyncIterable<Uint8Array>;
  /** Size of a finished blob, or undefined. */
  size(id: string): Promise<number | undefined>;
  /** Deletes a blob, finished or not; no error when there is none. */
  delete(id: string): Promise<void>;
  /** Ids of every finished blob (to find orphans). */
  ids(): Promise<string[]>;
  close(): Promise<void>;
}

/** How big a stored chunk is: one IndexedDB row or one file read. */
export const BLOB_CHUNK_BYTES = 512 * 1024;
