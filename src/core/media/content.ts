// Writing content into the blob store as it arrives: counted against a limit
// (413 M_TOO_LARGE the moment it is passed, before the rest is read), hashed
// with SHA-256 on the way, and aborted on any failure so that nothing
// half-written remains. A full disk or browser quota is 403
// M_RESOURCE_LIMIT_EXCEEDED. Callers commit the metadata row afterwards, and
// delete the blob again if that commit fails (deleteQuietly).
import { MatrixError, tooLarge } from '../errors.ts';
import { encodeHex } from '../protocol/base64.ts';
import { sha256Hasher } from '../protocol/crypto.ts';
import type { Logger } from '../ports.ts';
import type { BlobStore } from '../storage/blob-port.ts';
import { StorageError } from '../storage/errors.ts';
import type { StoredContent } from './tables.ts';

export const storageFull = () =>
  new MatrixError(403, 'M_RESOURCE_LIMIT_EXCEEDED', 'The server has no room left to store media');

export interface ContentLimits {
  /** More bytes than this is 413 M_TOO_LARGE. */
  readonly maxBytes: number;
  /** When the size and hash must be these (a remote file as its origin announced it). */
  readonly expect?: { readonly size?: number; readonly sha256?: string };
}

/** Streams `chunks` into a new blob; the content as stored, or throws with nothing left behind. */
export async function writeContent(
  blobs: BlobStore,
  chunks: AsyncIterable<Uint8Array>,
  contentType: string,
  limits: ContentLimits,
): Promise<StoredContent> {
  const writer = await guard(blobs.create());
  const hasher = sha256Hasher();
  let size = 0;
  try {
    for await (const chunk of chunks) {
      size += chunk.length;
      if (size > limits.maxBytes) throw tooLarge(`Content is larger than ${limits.maxBytes} bytes`);
      hasher.update(chunk);
      await guard(writer.append(chunk));
    }
    const sha256 = encodeHex(hasher.digest());
    checkExpected(size, sha256, limits.expect);
    await guard(writer.finish());
    return { blob: writer.id, size, sha256, contentType };
  } catch (err) {
    await writer.abort().catch(() => {});
    throw err;
  }
}

/** Bytes already in memory (a generated thumbnail) as a blob. */
export async function writeBytes(
  blobs: BlobStore,
  bytes: Uint8Array,
  contentType: string,
): Promise<StoredContent> {
  return writeContent(blobs, single(bytes), contentType, { maxBytes: Number.MAX_SAFE_INTEGER });
}

async function* single(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

/** Reads a blob whole (a thumbnail's source, bounded by the caller). */
export async function readWhole(blobs: BlobStore, content: StoredContent): Promise<Uint8Array> {
  const out = new Uint8Array(content.size);
  let at = 0;
  for await (const chunk of blobs.read(content.blob)) {
    if (at + chunk.length > out.length) throw new StorageError('DataError', 'blob is longer than recorded');
    out.set(chunk, at);
    at += chunk.length;
  }
  if (at !== out.length) throw new StorageError('DataError', 'blob is shorter than recorded');
  return out;
}

/** Deletes blobs whose metadata was never committed (or was just removed); failures are logged only. */
export async function deleteQuietly(blobs: BlobStore, logger: Logger, ids: Iterable<string>): Promise<void> {
  for (const id of ids) {
    await blobs.delete(id).catch((err: unknown) => {
      logger.warn('could not delete a media blob', { blob: id, error: String(err) });
    });
  }
}

function checkExpected(size: number, sha256: string, expect: ContentLimits['expect']): void {
  if (expect?.size !== undefined && expect.size !== size) {
    throw new MatrixError(502, 'M_UNKNOWN', `Content is ${size} bytes, ${expect.size} were announced`);
  }
  if (expect?.sha256 !== undefined && expect.sha256 !== sha256) {
    throw new MatrixError(502, 'M_UNKNOWN', 'Content does not match the SHA-256 that was announced');
  }
}

async function guard<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (err) {
    if (err instanceof StorageError && err.name === 'QuotaExceededError') throw storageFull();
    throw err;
  }
}
