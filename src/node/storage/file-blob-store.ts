// Media content on disk for the Node peer (the BlobStore port,
// src/core/storage/blob-port.ts): one file per blob, `<dir>/<aa>/<id>` with a
// random 128-bit hex id (never a name from a client or a peer, so nothing
// from outside ever becomes a path). A blob is written to `<dir>/partial/<id>`,
// fsynced, then renamed into place and its directory fsynced: a file in
// place is whole, and a crash leaves only partial files, deleted on open.
// Reads are file reads of BLOB_CHUNK_BYTES. Files rather than SQLite rows:
// no JSON or base64 on the way, the OS's page cache, and the row database's
// WAL stays small.
import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BLOB_CHUNK_BYTES, type BlobStore, type BlobWriter, StorageError } from '../../core/storage.ts';

const ID = /^[0-9a-f]{32}$/;

export async function openFileBlobStore(dir: string): Promise<BlobStore> {
  const partial = join(dir, 'partial');
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  const pathOf = (id: string) => join(dir, id.slice(0, 2), id);
  let closed = false;
  const check = () => {
    if (closed) throw new StorageError('DatabaseClosedError', 'blob store is closed');
  };

  return {
    async create(): Promise<BlobWriter> {
      check();
      const id = randomBytes(16).toString('hex');
      const temp = join(partial, id);
      const file = await guard(open(temp, 'wx'));
      let size = 0;
      let done = false;
      const live = () => {
        if (done) throw new StorageError('TransactionInactiveError', `blob ${id} is no longer open`);
      };
      return {
        id,
        async append(bytes) {
          live();
          await guard(writeAll(file, bytes));
          size += bytes.length;
        },
        async finish() {
          live();
          done = true;
          try {
            await guard(file.sync());
          } finally {
            await file.close();
          }
          const target = pathOf(id);
          await guard(mkdir(join(dir, id.slice(0, 2)), { recursive: true }));
          await guard(rename(temp, target));
          await syncDir(join(dir, id.slice(0, 2)));
          return size;
        },
        async abort() {
          if (!done) await file.close().catch(() => {});
          done = true;
          await rm(temp, { force: true });
        },
      };
    },
    read(id, range = {}) {
      return (async function* () {
        check();
        if (!ID.test(id)) throw new StorageError('NotFoundError', `no blob ${id}`);
        let file: FileHandle;
        try {
          file = await open(pathOf(id), 'r');
        } catch {
          throw new StorageError('NotFoundError', `no blob ${id}`);
        }
        try {
          const { size } = await file.stat();
          let at = range.offset ?? 0;
          const end = Math.min(size, range.length === undefined ? size : at + range.length);
          while (at < end) {
            const buffer = new Uint8Array(Math.min(BLOB_CHUNK_BYTES, end - at));
            const { bytesRead } = await file.read(buffer, 0, buffer.length, at);
            if (bytesRead === 0) throw new StorageError('NotFoundError', `blob ${id} is shorter than it was`);
            at += bytesRead;
            yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
          }
        } finally {
          await file.close();
        }
      })();
    },
    async size(id) {
      if (!ID.test(id)) return undefined;
      try {
        return (await stat(pathOf(id))).size;
      } catch {
        return undefined;
      }
    },
    async delete(id) {
      if (ID.test(id)) await rm(pathOf(id), { force: true });
    },
    async ids() {
      const out: string[] = [];
      for (const sub of await readdir(dir)) {
        if (!/^[0-9a-f]{2}$/.test(sub)) continue;
        for (const name of await readdir(join(dir, sub))) if (ID.test(name)) out.push(name);
      }
      return out;
    },
    async close() {
      closed = true;
    },
  };
}

async function writeAll(file: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length; ) {
    const { bytesWritten } = await file.write(bytes, at, bytes.length - at);
    at += bytesWritten;
  }
}

/** fsync of a directory, so a rename into it survives a power loss. */
async function syncDir(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A full disk as the port's QuotaExceededError. */
async function guard<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') throw new StorageError('QuotaExceededError', 'disk is full');
    throw err;
  }
}
