// Thumbnails (spec: GET /_matrix/client/v1/media/thumbnail/{serverName}/{mediaId}).
// A request is answered with the nearest of a fixed list of sizes, never
// exactly what was asked: the spec lets the server return a different size,
// and a fixed list bounds what one file can make us compute and store (a
// client asking for every width from 1 to 4000 gets at most seven
// thumbnails). The Thumbnailer port makes them (sharp in Node,
// OffscreenCanvas in the browser); each is stored in the blob store and its
// row committed after, and concurrent requests for one thumbnail make it once.
import type { KeyedQueue } from '../keyed-queue.ts';
import { notFound, tooLarge, unknown } from '../errors.ts';
import type { HandlerResult } from '../http/route.ts';
import { deleteQuietly, readWhole, writeBytes } from './content.ts';
import type { MediaDeps, ThumbnailSpec } from './deps.ts';
import { serveFile } from './files.ts';
import { essenceOf } from './headers.ts';
import type { MediaFile } from './records.ts';
import {
  localMediaTable,
  MEDIA_LOCAL,
  MEDIA_REMOTE,
  MEDIA_THUMBNAILS,
  remoteMediaTable,
  type ThumbnailMethod,
  type ThumbnailRow,
  thumbnailsTable,
} from './tables.ts';

interface Size {
  readonly width: number;
  readonly height: number;
  readonly method: ThumbnailMethod;
}

/** Synapse's default sizes, with a 320×320 crop added for large avatars. */
const SIZES: readonly Size[] = [
  { width: 32, height: 32, method: 'crop' },
  { width: 96, height: 96, method: 'crop' },
  { width: 320, height: 320, method: 'crop' },
  { width: 320, height: 240, method: 'scale' },
  { width: 640, height: 480, method: 'scale' },
  { width: 800, height: 600, method: 'scale' },
];

/** Types whose files may be animated: with `animated=true` they keep moving. */
const ANIMATABLE: ReadonlySet<string> = new Set(['image/gif', 'image/webp', 'image/apng', 'image/png']);

/** The size served for a request: the smallest of its method that covers it, else that method's largest. */
export function chooseSize(width: number, height: number, method: ThumbnailMethod): Size {
  const ofMethod = SIZES.filter((s) => s.method === method);
  return ofMethod.find((s) => s.width >= width && s.height >= height) ?? ofMethod[ofMethod.length - 1]!;
}

/**
 * The thumbnail answer for `file` (of origin/mediaId). Content no thumbnailer
 * decodes is 400 M_UNKNOWN (spec: "the server cannot thumbnail the
 * content"); a source above maxThumbnailSourceBytes 413 M_TOO_LARGE. With
 * `animated` and an animatable source, a platform that cannot animate serves
 * the file itself (the spec allows an answer larger than asked).
 */
export async function thumbnail(
  deps: MediaDeps,
  queue: KeyedQueue,
  origin: string,
  mediaId: string,
  file: MediaFile,
  request: ThumbnailSpec,
): Promise<HandlerResult> {
  const type = essenceOf(file.content.contentType);
  const thumbnailer = deps.thumbnailer;
  if (!thumbnailer?.types.has(type)) throw unknown('Cannot make a thumbnail of this content');
  const animated = request.animated && ANIMATABLE.has(type);
  if (animated && !thumbnailer.animates) return serveFile(deps, { content: file.content });
  const size = chooseSize(request.width, request.height, request.method);
  const key = [origin, mediaId, size.width, size.height, size.method, animated ? 1 : 0] as const;
  const cached = await readThumbnail(deps, key);
  if (cached) return serveFile(deps, { content: cached.content });
  const row = await queue.run(key.join('\u0000'), async () => {
    return (await readThumbnail(deps, key)) ?? (await generate(deps, key, file, { ...size, animated }));
  });
  return serveFile(deps, { content: row.content });
}

type ThumbKey = readonly [string, string, number, number, ThumbnailMethod, 0 | 1];

function readThumbnail(deps: MediaDeps, key: ThumbKey): Promise<ThumbnailRow | undefined> {
  return deps.store.read([MEDIA_THUMBNAILS], (tx) => thumbnailsTable.get(tx, [...key]));
}

async function generate(
  deps: MediaDeps,
  key: ThumbKey,
  file: MediaFile,
  spec: ThumbnailSpec,
): Promise<ThumbnailRow> {
  const { content } = file;
  if (content.size > deps.config.maxThumbnailSourceBytes) {
    throw tooLarge(`Thumbnails are made of files up to ${deps.config.maxThumbnailSourceBytes} bytes`);
  }
  const source = await readWhole(deps.blobs, content);
  const made = await deps.thumbnailer!.thumbnail(source, essenceOf(content.contentType), spec);
  if (!made) throw unknown('Cannot make a thumbnail of this content: it is not an image we can read');
  const stored = await writeBytes(deps.blobs, made.bytes, made.contentType);
  const [origin, mediaId, width, height, method, animated] = key;
  const row: ThumbnailRow = { origin, mediaId, width, height, method, animated, content: stored };
  try {
    await deps.store.write([MEDIA_THUMBNAILS, MEDIA_LOCAL, MEDIA_REMOTE], async (tx) => {
      // The file may have gone meanwhile (the remote cache cleared): no thumbnail of nothing.
      const still =
        origin === deps.serverName
          ? (await localMediaTable.get(tx, mediaId))?.complete === 1
          : (await remoteMediaTable.get(tx, [origin, mediaId])) !== undefined;
      if (!still) throw notFound('Media not found');
      await thumbnailsTable.put(tx, row);
    });
  } catch (err) {
    await deleteQuietly(deps.blobs, deps.logger, [stored.blob]);
    throw err;
  }
  return row;
}
