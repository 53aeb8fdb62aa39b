// The media module's tables (spec: "Content repository"). The content itself
// is in the blob store (storage/blob-port.ts); these rows are the metadata
// that names a blob, committed only after the blob is finished, so nothing
// half-stored is ever served.
//
// - media_local: our users' uploads, by media id. An asynchronous upload's
//   id (POST /_matrix/media/v1/create) is a row with `complete: 0`, its
//   creator and its expiry, and no content yet.
// - media_remote: the cache of other servers' media, by [origin, mediaId]
//   (filled by remote fetches over federation; the popup can clear it).
// - media_thumbnails: generated thumbnails of either, by
//   [origin, mediaId, width, height, method, animated].
// - media_usage: bytes and files each local user has uploaded (the quota),
//   updated in the transaction that commits an upload.
import type { TableSpec } from '../storage/port.ts';
import { table } from '../storage/table.ts';

export const MEDIA_LOCAL = 'media_local';
export const MEDIA_REMOTE = 'media_remote';
export const MEDIA_THUMBNAILS = 'media_thumbnails';
export const MEDIA_USAGE = 'media_usage';

export const MEDIA_TABLES = [MEDIA_LOCAL, MEDIA_REMOTE, MEDIA_THUMBNAILS, MEDIA_USAGE] as const;

export const mediaTables: Record<string, TableSpec> = {
  [MEDIA_LOCAL]: { key: 'mediaId', indexes: { uploader: 'uploader', complete: 'complete' } },
  [MEDIA_REMOTE]: { key: ['origin', 'mediaId'] },
  [MEDIA_THUMBNAILS]: {
    key: ['origin', 'mediaId', 'width', 'height', 'method', 'animated'],
    indexes: { media: ['origin', 'mediaId'] },
  },
  [MEDIA_USAGE]: { key: 'userId' },
};

/** What every stored file (upload, cached remote file, thumbnail) says about its content. */
export interface StoredContent {
  /** The blob holding the bytes (BlobStore id). */
  readonly blob: string;
  readonly size: number;
  /** Lower-case hex SHA-256 of the bytes. */
  readonly sha256: string;
  readonly contentType: string;
}

export interface LocalMediaRow extends Record<string, unknown> {
  readonly mediaId: string;
  readonly uploader: string;
  readonly createdTs: number;
  readonly complete: 0 | 1;
  /** Until when an id from /create may be uploaded to (pending rows only). */
  readonly expiresTs?: number;
  readonly fileName?: string;
  readonly content?: StoredContent;
}

export interface RemoteMediaRow extends Record<string, unknown> {
  readonly origin: string;
  readonly mediaId: string;
  readonly fetchedTs: number;
  /** When it was last served (remote-cache.ts: the least recently used go first). */
  readonly usedTs?: number;
  readonly fileName?: string;
  readonly content: StoredContent;
}

export type ThumbnailMethod = 'scale' | 'crop';

export interface ThumbnailRow extends Record<string, unknown> {
  readonly origin: string;
  readonly mediaId: string;
  /** The size asked for (one of the sizes thumbnails.ts offers), the cache key. */
  readonly width: number;
  readonly height: number;
  readonly method: ThumbnailMethod;
  readonly animated: 0 | 1;
  readonly content: StoredContent;
}

export interface UsageRow extends Record<string, unknown> {
  readonly userId: string;
  readonly bytes: number;
  readonly files: number;
}

export const localMediaTable = table<LocalMediaRow, string>(MEDIA_LOCAL);
export const remoteMediaTable = table<RemoteMediaRow, [string, string]>(MEDIA_REMOTE);
export const thumbnailsTable = table<ThumbnailRow, [string, string, number, number, ThumbnailMethod, 0 | 1]>(
  MEDIA_THUMBNAILS,
);
export const usageTable = table<UsageRow, string>(MEDIA_USAGE);
