// What the media module needs from its composition root: the row store, the
// blob store for content, the clock and random source, the server's name, its
// limits, and a Thumbnailer from the platform (sharp in Node, OffscreenCanvas
// in the browser). Remote media comes in through RemoteMediaSource, connected
// by the federation side once there is a network.
import type { Clock, Logger, RandomBytes } from '../ports.ts';
import type { BlobStore } from '../storage/blob-port.ts';
import type { Store } from '../storage/port.ts';
import type { ThumbnailMethod } from './tables.ts';

export interface MediaConfig {
  /** The largest file one upload may be (advertised as `m.upload.size`). */
  readonly maxUploadBytes: number;
  /** What one local user may have uploaded in all (bytes). */
  readonly userQuotaBytes: number;
  /** Ids from /create one user may hold unused at once (more is 429). */
  readonly maxPendingUploads: number;
  /** How long an id from /create may wait for its upload. */
  readonly pendingExpiryMs: number;
  /** The largest source file a thumbnail is made of (decoding is memory-hungry). */
  readonly maxThumbnailSourceBytes: number;
  /** Other servers' files and their thumbnails kept here at most (remote-cache.ts: least recently used go). */
  readonly maxRemoteCacheBytes: number;
}

export const DEFAULT_MEDIA_CONFIG: MediaConfig = {
  maxUploadBytes: 50 * 1024 * 1024,
  userQuotaBytes: 1024 * 1024 * 1024,
  maxPendingUploads: 10,
  pendingExpiryMs: 24 * 60 * 60 * 1000,
  maxThumbnailSourceBytes: 40 * 1024 * 1024,
  maxRemoteCacheBytes: 1024 * 1024 * 1024,
};

export interface ThumbnailSpec {
  readonly width: number;
  readonly height: number;
  readonly method: ThumbnailMethod;
  /** Whether the client wants an animated thumbnail of an animated source. */
  readonly animated: boolean;
}

export interface Thumbnail {
  readonly bytes: Uint8Array;
  readonly contentType: string;
  readonly width: number;
  readonly height: number;
}

/**
 * Makes thumbnails: the platform's image library behind one port (the core
 * never touches image decoders or canvases). `scale` fits the image inside
 * width × height keeping its aspect ratio, `crop` fills exactly width ×
 * height and cuts the overflow, centred; neither enlarges a smaller image.
 */
export interface Thumbnailer {
  /** Content types it decodes. */
  readonly types: ReadonlySet<string>;
  /** Whether it makes animated thumbnails of animated sources (else the core serves those whole). */
  readonly animates: boolean;
  /** A thumbnail, or undefined when the bytes are not an image it can decode. */
  thumbnail(source: Uint8Array, contentType: string, spec: ThumbnailSpec): Promise<Thumbnail | undefined>;
}

/** Fetches another server's media into the cache (media_remote and blobs); federation provides it. */
export interface RemoteMediaSource {
  /**
   * Resolves once the file is cached (MediaModule.cacheRemote), or throws a
   * MatrixError (404 M_NOT_FOUND, 502 for an unreachable or lying origin,
   * 504 M_NOT_YET_UPLOADED).
   */
  fetch(origin: string, mediaId: string, timeoutMs: number): Promise<void>;
}

export interface MediaDeps {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly randomBytes: RandomBytes;
  readonly serverName: string;
  readonly config: MediaConfig;
  readonly thumbnailer?: Thumbnailer;
  /** Set once federation connected it (MediaModule.connectRemote). */
  readonly remote: () => RemoteMediaSource | undefined;
}
