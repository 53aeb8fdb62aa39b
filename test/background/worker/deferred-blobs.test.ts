// The media store the worker opens beside its start: calls wait for it to be
// open, and a new blob waits for the orphan sweep, so that the sweep never
// takes a blob of this worker, finished but not yet named, for an orphan;
// the sweep's own reads and deletes do not wait for it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deferredBlobStore } from '../../../background/worker/deferred-blobs.ts';
import { type BlobStore, memoryBlobStore } from '../../../src/core/public.ts';

async function storeWith(bytes: number[]): Promise<{ store: BlobStore; id: string }> {
  const store = memoryBlobStore();
  const writer = await store.create();
  await writer.append(new Uint8Array(bytes));
  await writer.finish();
  return { store, id: writer.id };
}

test('calls wait for the store to open and then reach it', async () => {
  const { store, id } = await storeWith([1, 2, 3]);
  let open!: (store: BlobStore) => void;
  const { blobs } = deferredBlobStore(new Promise((resolve) => (open = resolve)));
  const size = blobs.size(id);
  open(store);
  assert.equal(await size, 3);
  const read: number[] = [];
  for await (const chunk of blobs.read(id)) read.push(...chunk);
  assert.deepEqual(read, [1, 2, 3]);
  assert.deepEqual(await blobs.ids(), [id]);
});

test('a new blob waits until the sweep is over; the sweep reads and deletes meanwhile', async () => {
  const { store, id } = await storeWith([9]);
  const deferred = deferredBlobStore(Promise.resolve(store));
  let sweepDone!: () => void;
  deferred.holdCreationUntil(new Promise<void>((resolve) => (sweepDone = resolve)));
  let created = false;
  const creating = deferred.blobs.create().then((writer) => {
    created = true;
    return writer;
  });
  assert.deepEqual(await deferred.blobs.ids(), [id]);
  await deferred.blobs.delete(id);
  assert.equal(created, false);
  sweepDone();
  const writer = await creating;
  await writer.append(new Uint8Array([7]));
  assert.equal(await writer.finish(), 1);
  assert.deepEqual(await deferred.blobs.ids(), [writer.id]);
});

test('a failed sweep does not stop uploads; a store that failed to open fails the calls that need it', async () => {
  const ok = deferredBlobStore(Promise.resolve(memoryBlobStore()));
  ok.holdCreationUntil(Promise.reject(new Error('sweep failed')));
  await (await ok.blobs.create()).abort();
  const failed = deferredBlobStore(Promise.reject(new Error('no IndexedDB')));
  await assert.rejects(failed.blobs.size('1'), /no IndexedDB/);
});
