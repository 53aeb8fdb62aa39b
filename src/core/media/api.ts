// What the rest of the homeserver may use of the media module (spec: "Content
// repository"): its tables for the schema, and createMediaModule with the
// Client-Server routes, the files it holds (for federation's media endpoints),
// the remote cache (filled by federation), and the usage figures and cache
// clearing of the popup's Storage tab. Its ports (the blob store, the
// Thumbnailer, remote fetches) are in deps.ts.
import { KeyedQueue } from '../keyed-queue.ts';
import type { HandlerResult, Route } from '../http/route.ts';
import { deleteQuietly, writeContent } from './content.ts';
import type { MediaConfig, MediaDeps, RemoteMediaSource, ThumbnailSpec } from './deps.ts';
import { findFile, serveFile } from './files.ts';
import { normaliseContentType } from './headers.ts';
import { checkMediaId, checkServerName } from './ids.ts';
import { dropRemoteCache, type MediaFile, type MediaUsage, mediaUsage, namedBlobs } from './records.ts';
import { evictRemote } from './remote-cache.ts';
import { mediaRoutes } from './routes.ts';
import { MEDIA_REMOTE, MEDIA_TABLES, remoteMediaTable } from './tables.ts';
import { thumbnail } from './thumbnails.ts';
import { UploadWaiters } from './waiters.ts';

export { DEFAULT_MEDIA_CONFIG } from './deps.ts';
export type { MediaConfig, RemoteMediaSource, Thumbnail, Thumbnailer, ThumbnailSpec } from './deps.ts';
export type { MediaFile, MediaUsage, UsageFigure } from './records.ts';
export { MEDIA_TABLES, mediaTables } from './tables.ts';
export type { StoredContent } from './tables.ts';

export type MediaModuleDeps = Omit<MediaDeps, 'remote'>;

/** What another server announced of a file it sends us (federation's media download). */
export interface RemoteFileMeta {
  readonly contentType?: string;
  readonly fileName?: string;
  /** When announced, the bytes must be exactly this many and hash to this (else 502, nothing kept). */
  readonly size?: number;
  readonly sha256?: string;
}

export interface MediaModule {
  readonly routes: Route[];
  readonly config: MediaConfig;
  /** Connects remote fetches (federation, made later); until then other servers' media is 404. */
  connectRemote(source: RemoteMediaSource): void;
  /** A file this server holds (its own or cached), to serve over federation; throws 404/400 as the API does. */
  file(origin: string, mediaId: string): Promise<MediaFile>;
  /** The answer streaming `file` with the media headers. */
  serve(file: MediaFile): HandlerResult;
  /** A thumbnail answer of a file this server holds (made and cached as for clients). */
  thumbnail(origin: string, mediaId: string, spec: ThumbnailSpec): Promise<HandlerResult>;
  /**
   * Stores another server's file in the cache: streamed into a blob, checked
   * against `maxBytes` and what was announced, committed only when whole.
   */
  cacheRemote(
    origin: string,
    mediaId: string,
    meta: RemoteFileMeta,
    chunks: AsyncIterable<Uint8Array>,
  ): Promise<void>;
  usage(): Promise<MediaUsage>;
  /** Deletes every cached remote file and their thumbnails. */
  clearRemoteCache(): Promise<{ files: number; bytes: number }>;
  /**
   * Deletes the blobs no row names: content stored by an upload or a fetch
   * that stopped (a crash, a worker stopped) between finishing its blob and
   * committing its row. Only before the server takes requests (composition
   * roots await it), when no such commit can be under way; returns how many.
   */
  sweepOrphans(): Promise<number>;
}

export function createMediaModule(moduleDeps: MediaModuleDeps): MediaModule {
  let remote: RemoteMediaSource | undefined;
  const deps = { ...moduleDeps, remote: () => remote, waiters: new UploadWaiters() };
  const queue = new KeyedQueue();
  const file = (origin: string, mediaId: string) =>
    findFile(deps, origin, mediaId, { timeoutMs: 0, allowRemote: false });
  return {
    routes: mediaRoutes(deps, queue),
    config: deps.config,
    connectRemote(source) {
      remote = source;
    },
    file,
    serve: (found) => serveFile(deps, found),
    async thumbnail(origin, mediaId, spec) {
      return thumbnail(deps, queue, origin, mediaId, await file(origin, mediaId), spec);
    },
    async cacheRemote(origin, mediaId, meta, chunks) {
      checkServerName(origin);
      checkMediaId(mediaId);
      const contentType = normaliseContentType(meta.contentType);
      const content = await writeContent(deps.blobs, chunks, contentType, {
        maxBytes: deps.config.maxUploadBytes,
        expect: {
          ...(meta.size !== undefined && { size: meta.size }),
          ...(meta.sha256 !== undefined && { sha256: meta.sha256 }),
        },
      });
      let replaced: string | undefined;
      try {
        await deps.store.write([MEDIA_REMOTE], async (tx) => {
          replaced = (await remoteMediaTable.get(tx, [origin, mediaId]))?.content.blob;
          await remoteMediaTable.put(tx, {
            origin,
            mediaId,
            fetchedTs: deps.clock.now(),
            content,
            ...(meta.fileName !== undefined && { fileName: meta.fileName }),
          });
        });
      } catch (err) {
        await deleteQuietly(deps.blobs, deps.logger, [content.blob]);
        throw err;
      }
      if (replaced !== undefined) await deleteQuietly(deps.blobs, deps.logger, [replaced]);
      await evictRemote({ ...deps, maxBytes: deps.config.maxRemoteCacheBytes }, [origin, mediaId]);
    },
    usage: () => deps.store.read([...MEDIA_TABLES], mediaUsage),
    async sweepOrphans() {
      const named = await deps.store.read([...MEDIA_TABLES], namedBlobs);
      const orphans = (await deps.blobs.ids()).filter((id) => !named.has(id));
      await deleteQuietly(deps.blobs, deps.logger, orphans);
      return orphans.length;
    },
    async clearRemoteCache() {
      const { blobs, files, bytes } = await deps.store.write([...MEDIA_TABLES], dropRemoteCache);
      await deleteQuietly(deps.blobs, deps.logger, blobs);
      return { files, bytes };
    },
  };
}
