// Media content over IndexedDB (the BlobStore port, src/core/storage/blob-port.ts):
// a database of its own beside the homeserver's, so that the homeserver's row
// cache never sees a chunk and its schema versions stay about metadata.
// `blobs` holds one row per blob ({id, size, complete}); `chunks` one row per
// BLOB_CHUNK_BYTES of content, keyed [blob, seq], the bytes stored as they
// are (IndexedDB keeps a Uint8Array natively). A blob is readable only once
// its row says complete (written after its last chunk, in the chunk's
// transaction); blobs left incomplete by a worker that stopped mid-upload are
// deleted when the store opens (only the background opens it).
import { Dexie, type DexieOptions } from 'dexie';
import { BLOB_CHUNK_BYTES, type BlobStore, type BlobWriter, StorageError } from '../../core/storage.ts';

export interface DexieBlobStoreOptions {
  readonly indexedDB?: DexieOptions['indexedDB'];
  readonly IDBKeyRange?: DexieOptions['IDBKeyRange'];
  /** As for the row store (dexie-store.ts): 'strict' flushes to disk before a write resolves. */
  readonly durability?: 'strict' | 'relaxed' | 'default';
}

/** Chunks written per transaction (4 MiB): the most an upload holds in memory here. */
const BATCH_CHUNKS = 8;

interface BlobRow {
  id?: number;
  size: number;
  /** 1 once finished (IndexedDB cannot index booleans). */
  complete: 0 | 1;
}

interface ChunkRow {
  blob: number;
  seq: number;
  bytes: Uint8Array;
}

export async function openDexieBlobStore(
  name: string,
  options: DexieBlobStoreOptions = {},
): Promise<BlobStore> {
  const db = new Dexie(name, {
    ...(options.indexedDB ? { indexedDB: options.indexedDB } : {}),
    ...(options.IDBKeyRange ? { IDBKeyRange: options.IDBKeyRange } : {}),
    chromeTransactionDurability: options.durability ?? 'strict',
    cache: 'disabled',
  });
  db.unuse({ stack: 'dbcore', name: 'Observability' });
  db.version(1).stores({ blobs: '++id,complete', chunks: '[blob+seq]' });
  await db.open();
  const blobs = db.table<BlobRow, number>('blobs');
  const chunks = db.table<ChunkRow, [number, number]>('chunks');
  const write = <T>(fn: () => Promise<T>) => guard(db.transaction('rw', [blobs, chunks], fn));
  const dropChunks = (blob: number) =>
    chunks.where('[blob+seq]').between([blob, Dexie.minKey], [blob, Dexie.maxKey]).delete();

  // What a stopped worker left half-written.
  await write(async () => {
    for (const id of await blobs.where('complete').equals(0).primaryKeys()) {
      await dropChunks(id);
      await blobs.delete(id);
    }
  });

  const finishedSize = async (id: string): Promise<number | undefined> => {
    const key = Number(id);
    if (!Number.isSafeInteger(key)) return undefined;
    const row = await guard(blobs.get(key));
    return row?.complete === 1 ? row.size : undefined;
  };

  return {
    async create(): Promise<BlobWriter> {
      const id = (await write(() => blobs.add({ size: 0, complete: 0 }))) as number;
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      let seq = 0;
      let size = 0;
      let open = true;
      const check = () => {
        if (!open) throw new StorageError('TransactionInactiveError', `blob ${id} is no longer open`);
      };
      /** Rows of the queued bytes: whole chunks only, or (at the end) the rest as well. */
      const rows = (all: boolean): ChunkRow[] => {
        const out: ChunkRow[] = [];
        while (pendingBytes >= BLOB_CHUNK_BYTES || (all && pendingBytes > 0)) {
          const bytes = take(pending, Math.min(pendingBytes, BLOB_CHUNK_BYTES));
          pendingBytes -= bytes.length;
          out.push({ blob: id, seq: seq++, bytes });
        }
        return out;
      };
      // Chunks are written BATCH_CHUNKS at a time: each transaction is a
      // flush to disk ('strict'), and one per 512 KiB made uploads crawl.
      const flush = async () => {
        if (pendingBytes < BATCH_CHUNKS * BLOB_CHUNK_BYTES) return;
        const batch = rows(false);
        await write(() => chunks.bulkPut(batch));
      };
      return {
        id: String(id),
        async append(bytes) {
          check();
          pending.push(bytes.slice());
          pendingBytes += bytes.length;
          size += bytes.length;
          await flush();
        },
        async finish() {
          check();
          const last = rows(true);
          await write(async () => {
            await chunks.bulkPut(last);
            await blobs.put({ id, size, complete: 1 });
          });
          open = false;
          return size;
        },
        async abort() {
          open = false;
          pending = [];
          await write(async () => {
            await dropChunks(id);
            await blobs.delete(id);
          });
        },
      };
    },
    read(id, range = {}) {
      return (async function* () {
        const size = await finishedSize(id);
        if (size === undefined) throw new StorageError('NotFoundError', `no blob ${id}`);
        const start = range.offset ?? 0;
        const end = Math.min(size, range.length === undefined ? size : start + range.length);
        // One transaction per chunk: a transaction must not stay open while the reader awaits.
        for (let seq = Math.floor(start / BLOB_CHUNK_BYTES); seq * BLOB_CHUNK_BYTES < end; seq++) {
          const row = await guard(chunks.get([Number(id), seq]));
          if (!row) throw new StorageError('NotFoundError', `blob ${id} lost chunk ${seq}`);
          const at = seq * BLOB_CHUNK_BYTES;
          const from = Math.max(start - at, 0);
          const to = Math.min(end - at, row.bytes.length);
          yield from === 0 && to === row.bytes.length ? row.bytes : row.bytes.subarray(from, to);
        }
      })();
    },
    size: finishedSize,
    async delete(id) {
      const key = Number(id);
      if (!Number.isSafeInteger(key)) return;
      await write(async () => {
        await dropChunks(key);
        await blobs.delete(key);
      });
    },
    async ids() {
      return (await guard(blobs.where('complete').equals(1).primaryKeys())).map(String);
    },
    async close() {
      db.close();
    },
  };
}

/** The first `n` bytes of the queued parts, removed from the queue. */
function take(parts: Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let filled = 0;
  while (filled < n) {
    const part = parts[0]!;
    const used = Math.min(part.length, n - filled);
    out.set(part.subarray(0, used), filled);
    filled += used;
    if (used === part.length) parts.shift();
    else parts[0] = part.subarray(used);
  }
  return out;
}

/** IndexedDB's failures as the port's named errors (a full disk or quota above all). */
async function guard<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (err) {
    const name = (err as { name?: string; inner?: { name?: string } }).inner?.name ?? (err as Error).name;
    if (name === 'QuotaExceededError') throw new StorageError('QuotaExceededError', 'storage is full');
    if (name === 'DatabaseClosedError') throw new StorageError('DatabaseClosedError', 'blob store is closed');
    throw err;
  }
}
