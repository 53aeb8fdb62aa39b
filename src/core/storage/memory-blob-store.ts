// The blob store in memory: for a `serve` without a data directory (whose
// rows are in memory too) and the core's own tests. Chunks are copies, so a
// caller reusing its buffer changes nothing stored.
import { BLOB_CHUNK_BYTES, type BlobRange, type BlobStore, type BlobWriter } from './blob-port.ts';
import { StorageError } from './errors.ts';

export function memoryBlobStore(): BlobStore {
  const finished = new Map<string, Uint8Array[]>();
  let next = 1;
  let closed = false;
  const open = () => {
    if (closed) throw new StorageError('DatabaseClosedError', 'blob store is closed');
  };
  return {
    async create(): Promise<BlobWriter> {
      open();
      const id = String(next++);
      let parts: Uint8Array[] | undefined = [];
      return {
        id,
        async append(bytes) {
          if (!parts) throw new StorageError('TransactionInactiveError', `blob ${id} is no longer open`);
          parts.push(bytes.slice());
        },
        async finish() {
          if (!parts) throw new StorageError('TransactionInactiveError', `blob ${id} is no longer open`);
          const chunks = rechunk(parts);
          parts = undefined;
          finished.set(id, chunks);
          return chunks.reduce((n, c) => n + c.length, 0);
        },
        async abort() {
          parts = undefined;
        },
      };
    },
    read(id, range) {
      const chunks = finished.get(id);
      return (async function* () {
        open();
        if (!chunks) throw new StorageError('NotFoundError', `no blob ${id}`);
        yield* sliceChunks(chunks, range);
      })();
    },
    async size(id) {
      return finished.get(id)?.reduce((n, c) => n + c.length, 0);
    },
    async delete(id) {
      finished.delete(id);
    },
    async ids() {
      return [...finished.keys()];
    },
    async close() {
      closed = true;
    },
  };
}

/** The parts joined and cut again into chunks of BLOB_CHUNK_BYTES (the last may be shorter). */
function rechunk(parts: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let current = new Uint8Array(BLOB_CHUNK_BYTES);
  let filled = 0;
  for (const part of parts) {
    for (let at = 0; at < part.length; ) {
      const n = Math.min(part.length - at, BLOB_CHUNK_BYTES - filled);
      current.set(part.subarray(at, at + n), filled);
      filled += n;
      at += n;
      if (filled === BLOB_CHUNK_BYTES) {
        out.push(current);
        current = new Uint8Array(BLOB_CHUNK_BYTES);
        filled = 0;
      }
    }
  }
  if (filled > 0) out.push(current.slice(0, filled));
  return out;
}

/** The chunks cut to `range` (offset and length in bytes of the whole blob). */
export function* sliceChunks(chunks: Iterable<Uint8Array>, range: BlobRange = {}): Generator<Uint8Array> {
  const start = range.offset ?? 0;
  const end = range.length === undefined ? Number.POSITIVE_INFINITY : start + range.length;
  let at = 0;
  for (const chunk of chunks) {
    const from = Math.max(start - at, 0);
    const to = Math.min(end - at, chunk.length);
    if (to > from) yield from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to);
    at += chunk.length;
    if (at >= end) return;
  }
}
