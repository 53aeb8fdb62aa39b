// The remote-media cache is bounded (MediaConfig.maxRemoteCacheBytes): other
// peers' files and their thumbnails together. Each cached file remembers when
// it was last served (`usedTs`, written at most once a minute per file, so a
// page of thumbnails does not cost a write each); once a new file takes the
// cache over its bound, the least recently used files go, with their
// thumbnails, in one transaction, and their blobs are deleted after it
// committed. The file just fetched always stays (its client is waiting for
// it), even when it alone is over the bound.
import type { Logger } from '../ports.ts';
import type { BlobStore } from '../storage/blob-port.ts';
import type { Store, WriteTx } from '../storage/port.ts';
import { deleteQuietly } from './content.ts';
import {
  MEDIA_REMOTE,
  MEDIA_THUMBNAILS,
  type RemoteMediaRow,
  remoteMediaTable,
  thumbnailsTable,
} from './tables.ts';

/** A file's last use is written again only after this long. */
export const TOUCH_INTERVAL_MS = 60_000;

export interface RemoteCacheDeps {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly logger: Logger;
  readonly maxBytes: number;
}

const lastUse = (row: RemoteMediaRow) => row.usedTs ?? row.fetchedTs;

/** Records that `row` was served now (at most once per TOUCH_INTERVAL_MS). */
export async function touchRemote(store: Store, row: RemoteMediaRow, now: number): Promise<void> {
  if (now - lastUse(row) < TOUCH_INTERVAL_MS) return;
  await store.write([MEDIA_REMOTE], async (tx) => {
    const current = await remoteMediaTable.get(tx, [row.origin, row.mediaId]);
    if (current && current.content.blob === row.content.blob)
      await remoteMediaTable.put(tx, { ...current, usedTs: now });
  });
}

/** Evicts least recently used files (never `keep`) until the cache is within its bound. */
export async function evictRemote(deps: RemoteCacheDeps, keep: readonly [string, string]): Promise<void> {
  const blobs = await deps.store.write([MEDIA_REMOTE, MEDIA_THUMBNAILS], (tx) =>
    evictIn(tx, deps.maxBytes, keep),
  );
  if (blobs.length > 0) {
    deps.logger.info('remote media cache: evicted the least recently used files', { blobs: blobs.length });
    await deleteQuietly(deps.blobs, deps.logger, blobs);
  }
}

async function evictIn(tx: WriteTx, maxBytes: number, keep: readonly [string, string]): Promise<string[]> {
  const key = (origin: string, mediaId: string) => `${origin}\u0000${mediaId}`;
  const entries = new Map<string, { row: RemoteMediaRow; bytes: number; blobs: string[] }>();
  let total = 0;
  for (const row of await remoteMediaTable.query(tx)) {
    entries.set(key(row.origin, row.mediaId), { row, bytes: row.content.size, blobs: [row.content.blob] });
    total += row.content.size;
  }
  // One pass over the thumbnails; those of our own files are not in the map.
  for (const thumb of await thumbnailsTable.query(tx)) {
    const entry = entries.get(key(thumb.origin, thumb.mediaId));
    if (!entry) continue;
    entry.bytes += thumb.content.size;
    entry.blobs.push(thumb.content.blob);
    total += thumb.content.size;
  }
  const blobs: string[] = [];
  const oldestFirst = [...entries.values()].sort((x, y) => lastUse(x.row) - lastUse(y.row));
  for (const { row, bytes, blobs: its } of oldestFirst) {
    if (total <= maxBytes) break;
    if (row.origin === keep[0] && row.mediaId === keep[1]) continue;
    await thumbnailsTable.deleteWhere(tx, { index: 'media', equals: [row.origin, row.mediaId] });
    await remoteMediaTable.delete(tx, [row.origin, row.mediaId]);
    blobs.push(...its);
    total -= bytes;
  }
  return blobs;
}
