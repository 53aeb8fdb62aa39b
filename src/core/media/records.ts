// Reads and writes of the media tables (tables.ts), each inside the caller's
// transaction, plus the two whole operations that need their own: finding a
// file to serve, and the usage figures the popup shows.
import type { ReadTx, WriteTx } from '../storage/port.ts';
import {
  type LocalMediaRow,
  localMediaTable,
  type RemoteMediaRow,
  remoteMediaTable,
  type StoredContent,
  thumbnailsTable,
  type UsageRow,
  usageTable,
} from './tables.ts';

/** A file ready to serve: its content and the name it was uploaded with. */
export interface MediaFile {
  readonly content: StoredContent;
  readonly fileName?: string;
}

export async function usageOf(tx: ReadTx, userId: string): Promise<UsageRow> {
  return (await usageTable.get(tx, userId)) ?? { userId, bytes: 0, files: 0 };
}

export async function addUsage(tx: WriteTx, userId: string, bytes: number): Promise<void> {
  const usage = await usageOf(tx, userId);
  await usageTable.put(tx, { userId, bytes: usage.bytes + bytes, files: usage.files + 1 });
}

/** The user's ids from /create that are still waiting for content and have not expired. */
export async function pendingUploads(tx: ReadTx, userId: string, now: number): Promise<LocalMediaRow[]> {
  const rows = await localMediaTable.query(tx, { index: 'uploader', equals: userId });
  return rows.filter((row) => row.complete === 0 && (row.expiresTs ?? 0) > now);
}

/** Deletes the user's expired, never-uploaded ids (they hold no content). */
export async function dropExpiredPending(tx: WriteTx, userId: string, now: number): Promise<void> {
  const rows = await localMediaTable.query(tx, { index: 'uploader', equals: userId });
  for (const row of rows) {
    if (row.complete === 0 && (row.expiresTs ?? 0) <= now) await localMediaTable.delete(tx, row.mediaId);
  }
}

export function isExpired(row: LocalMediaRow, now: number): boolean {
  return row.complete === 0 && (row.expiresTs ?? 0) <= now;
}

export function localFile(row: LocalMediaRow | undefined): MediaFile | undefined {
  if (row?.complete !== 1 || row.content === undefined) return undefined;
  return { content: row.content, ...(row.fileName !== undefined && { fileName: row.fileName }) };
}

export function remoteFile(row: RemoteMediaRow | undefined): MediaFile | undefined {
  if (!row) return undefined;
  return { content: row.content, ...(row.fileName !== undefined && { fileName: row.fileName }) };
}

export interface UsageFigure {
  readonly files: number;
  readonly bytes: number;
}

export interface MediaUsage {
  /** Our users' uploads. */
  readonly local: UsageFigure;
  /** Other servers' files cached here. */
  readonly remote: UsageFigure;
  /** Thumbnails of either. */
  readonly thumbnails: UsageFigure;
}

export async function mediaUsage(tx: ReadTx): Promise<MediaUsage> {
  const sum = (contents: readonly StoredContent[]): UsageFigure => ({
    files: contents.length,
    bytes: contents.reduce((n, c) => n + c.size, 0),
  });
  const usage = await usageTable.query(tx);
  return {
    local: {
      files: usage.reduce((n, u) => n + u.files, 0),
      bytes: usage.reduce((n, u) => n + u.bytes, 0),
    },
    remote: sum((await remoteMediaTable.query(tx)).map((r) => r.content)),
    thumbnails: sum((await thumbnailsTable.query(tx)).map((t) => t.content)),
  };
}

/** Every blob a row names: uploads, cached remote files, thumbnails. */
export async function namedBlobs(tx: ReadTx): Promise<Set<string>> {
  const named = new Set<string>();
  for (const row of await localMediaTable.query(tx)) if (row.content) named.add(row.content.blob);
  for (const row of await remoteMediaTable.query(tx)) named.add(row.content.blob);
  for (const row of await thumbnailsTable.query(tx)) named.add(row.content.blob);
  return named;
}

/** Deletes every cached remote file and its thumbnails; returns the blobs to delete after commit. */
export async function dropRemoteCache(
  tx: WriteTx,
): Promise<{ blobs: string[]; files: number; bytes: number }> {
  const blobs: string[] = [];
  let bytes = 0;
  const rows = await remoteMediaTable.query(tx);
  for (const row of rows) {
    blobs.push(row.content.blob);
    bytes += row.content.size;
    for (const thumb of await thumbnailsTable.query(tx, {
      index: 'media',
      equals: [row.origin, row.mediaId],
    })) {
      blobs.push(thumb.content.blob);
      bytes += thumb.content.size;
    }
    await thumbnailsTable.deleteWhere(tx, { index: 'media', equals: [row.origin, row.mediaId] });
    await remoteMediaTable.delete(tx, [row.origin, row.mediaId]);
  }
  return { blobs, files: rows.length, bytes };
}
