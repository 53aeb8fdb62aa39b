// The one conformance suite every implementation of the blob port passes
// (src/core/storage/blob-port.ts): memory, files on disk, Dexie.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BLOB_CHUNK_BYTES, type BlobStore } from '../../../src/core/storage/blob-port.ts';

export interface BlobConformanceOptions {
  /** Opens the store `name` (the same name again reopens it when `durable`). */
  readonly open: (name: string) => Promise<BlobStore>;
  readonly durable: boolean;
}

export function pattern(n: number, seed = 7): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed + (i >> 9)) & 0xff;
  return out;
}

export async function readAll(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk.slice());
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function put(store: BlobStore, bytes: Uint8Array, piece = 100_000): Promise<string> {
  const writer = await store.create();
  for (let at = 0; at < bytes.length; at += piece) await writer.append(bytes.subarray(at, at + piece));
  assert.equal(await writer.finish(), bytes.length);
  return writer.id;
}

export function runBlobStoreConformance(name: string, options: BlobConformanceOptions): void {
  let n = 0;
  const fresh = () => options.open(`blobs-${name.replace(/\W/g, '')}-${process.pid}-${n++}`);
  describe(`blob port conformance: ${name}`, () => {
    test('a blob written in pieces reads back byte-identical, in chunks no bigger than the chunk size', async () => {
      const store = await fresh();
      const bytes = pattern(BLOB_CHUNK_BYTES * 9 + 12_345);
      const id = await put(store, bytes);
      const chunks: number[] = [];
      for await (const chunk of store.read(id)) chunks.push(chunk.length);
      assert.ok(chunks.every((c) => c <= BLOB_CHUNK_BYTES && c > 0));
      assert.deepEqual(await readAll(store.read(id)), bytes);
      assert.equal(await store.size(id), bytes.length);
      assert.deepEqual(await store.ids(), [id]);
      await store.close();
    });

    test('a zero-byte blob exists and reads as nothing', async () => {
      const store = await fresh();
      const id = await put(store, new Uint8Array(0));
      assert.equal(await store.size(id), 0);
      assert.deepEqual(await readAll(store.read(id)), new Uint8Array(0));
      await store.close();
    });

    test('ranges read the bytes asked for, across chunk boundaries', async () => {
      const store = await fresh();
      const bytes = pattern(BLOB_CHUNK_BYTES + 1000);
      const id = await put(store, bytes, 4096);
      const offset = BLOB_CHUNK_BYTES - 10;
      assert.deepEqual(
        await readAll(store.read(id, { offset, length: 30 })),
        bytes.subarray(offset, offset + 30),
      );
      assert.deepEqual(await readAll(store.read(id, { offset: 5 })), bytes.subarray(5));
      assert.deepEqual(await readAll(store.read(id, { offset: bytes.length })), new Uint8Array(0));
      await store.close();
    });

    test('a blob is not readable before finish, nor after abort, and leaves nothing behind', async () => {
      const store = await fresh();
      const writer = await store.create();
      await writer.append(pattern(BLOB_CHUNK_BYTES + 5));
      await assert.rejects(readAll(store.read(writer.id)), { name: 'NotFoundError' });
      assert.equal(await store.size(writer.id), undefined);
      await writer.abort();
      await assert.rejects(readAll(store.read(writer.id)), { name: 'NotFoundError' });
      await assert.rejects(writer.append(new Uint8Array(1)), { name: 'TransactionInactiveError' });
      assert.deepEqual(await store.ids(), []);
      await store.close();
    });

    test('appended bytes are copied: reusing the buffer changes nothing stored', async () => {
      const store = await fresh();
      const writer = await store.create();
      const buffer = pattern(1000);
      const original = buffer.slice();
      await writer.append(buffer);
      buffer.fill(0);
      await writer.finish();
      assert.deepEqual(await readAll(store.read(writer.id)), original);
      await store.close();
    });

    test('delete removes a blob; deleting an unknown or malformed id is no error', async () => {
      const store = await fresh();
      const id = await put(store, pattern(10));
      await store.delete(id);
      await store.delete(id);
      await store.delete('../../etc/passwd');
      await assert.rejects(readAll(store.read(id)), { name: 'NotFoundError' });
      await assert.rejects(readAll(store.read('../../etc/passwd')), { name: 'NotFoundError' });
      assert.deepEqual(await store.ids(), []);
      await store.close();
    });

    test('two blobs written at once stay apart', async () => {
      const store = await fresh();
      const [a, b] = [pattern(BLOB_CHUNK_BYTES + 3, 1), pattern(BLOB_CHUNK_BYTES + 7, 2)];
      const [ida, idb] = await Promise.all([put(store, a, 7777), put(store, b, 9999)]);
      assert.notEqual(ida, idb);
      assert.deepEqual(await readAll(store.read(ida)), a);
      assert.deepEqual(await readAll(store.read(idb)), b);
      await store.close();
    });

    if (options.durable) {
      test('finished blobs survive a reopen; unfinished ones are gone', async () => {
        const dbName = `blobs-durable-${name.replace(/\W/g, '')}-${process.pid}-${n++}`;
        const store = await options.open(dbName);
        const bytes = pattern(BLOB_CHUNK_BYTES + 99);
        const id = await put(store, bytes);
        const half = await store.create();
        await half.append(pattern(BLOB_CHUNK_BYTES * 2));
        await store.close();
        const again = await options.open(dbName);
        assert.deepEqual(await readAll(again.read(id)), bytes);
        assert.deepEqual(await again.ids(), [id]);
        await again.close();
      });
    }
  });
}
