// The extension's IndexedDB databases, in a file of their own so that what
// opens them outside the homeserver's start (the popup's reset, the search
// bench's import: bench/worker-import.ts) imports no more than the names.

/** The homeserver's store (dexie-store.ts, the core's SCHEMA). */
export const DATABASE_NAME = 'p2p-matrix';
/** Media content: a database of its own (dexie-blob-store.ts). */
export const MEDIA_DATABASE_NAME = 'p2p-matrix-media';
