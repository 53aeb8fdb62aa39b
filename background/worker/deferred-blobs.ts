// The media database opened beside the worker's start, not before it: a
// client's first request (Element's GET /versions) does not wait for it, nor
// for the orphan sweep. Each call waits for the store to be open; a new blob
// also waits until the sweep is over, because the sweep deletes every
// finished blob no media row names, and a blob of this worker is finished
// before the row that names it is written (blob-port.ts): started during the
// sweep, it could be taken for an orphan. Blobs of a stopped worker that no
// row names are orphans for good, so only creation needs to wait.
import type { BlobStore } from '../../src/core/public.ts';

export interface DeferredBlobs {
  readonly blobs: BlobStore;
  /** New blobs wait until `sweep` settled (it runs on `blobs`, whose reads and deletes do not wait for it). */
  holdCreationUntil(sweep: Promise<unknown>): void;
}

export function deferredBlobStore(opening: Promise<BlobStore>): DeferredBlobs {
  // A failed open surfaces in the calls that need the store, not as an unhandled rejection.
  opening.catch(() => {});
  let creation: Promise<unknown> = Promise.resolve();
  const blobs: BlobStore = {
    async create() {
      await creation;
      return (await opening).create();
    },
    async *read(id, range) {
      yield* (await opening).read(id, range);
    },
    size: async (id) => (await opening).size(id),
    delete: async (id) => (await opening).delete(id),
    ids: async () => (await opening).ids(),
    close: async () => (await opening).close(),
  };
  return {
    blobs,
    holdCreationUntil(sweep) {
      creation = sweep.catch(() => {});
    },
  };
}
