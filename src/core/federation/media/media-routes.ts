// The federation media endpoints every peer serves (spec v1.11, Server-Server
// API "Content repository"): GET /_matrix/federation/v1/media/download/{mediaId}
// and .../thumbnail/{mediaId}?width&height&method&animated, for this server's
// own media only, answered as multipart/mixed (multipart.ts) with the size and
// SHA-256 announced in the metadata part (integrity.ts). We never answer with
// a Location redirect. Files come from the media module through
// FederationMediaFiles (answered by MediaModule), streamed from its blob
// store, never whole in memory.
import { invalidParam, MatrixError, missingParam } from '../../errors.ts';
import { encodeHex } from '../../protocol/base64.ts';
import type { RandomBytes } from '../../ports.ts';
import type { FederationRoute, FederationRouteContext } from '../route-registry.ts';
import { param, V1 } from '../routes/route-helpers.ts';
import { wholeBody, streamOf } from '../streamed-body.ts';
import { StreamedBody, type StreamingResponse } from '../transport.ts';
import { announce, sha256Hex } from './integrity.ts';
import { encodeMediaMultipart } from './multipart.ts';

export interface FederationMediaFile {
  readonly content: { readonly size: number; readonly sha256: string };
}

/** A client-style media answer: its streamed body and media headers. */
export interface MediaAnswer {
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ThumbnailRequest {
  readonly width: number;
  readonly height: number;
  readonly method: 'scale' | 'crop';
  readonly animated: boolean;
}

/** What these endpoints use of the media module (MediaModule answers it). */
export interface FederationMediaFiles<F extends FederationMediaFile = FederationMediaFile> {
  /** A file this server holds; MatrixError 404/400 as the Client-Server API answers. */
  file(origin: string, mediaId: string): Promise<F>;
  serve(file: F): MediaAnswer;
  thumbnail(origin: string, mediaId: string, spec: ThumbnailRequest): Promise<MediaAnswer>;
}

export interface MediaRoutesDeps<F extends FederationMediaFile> {
  readonly serverName: string;
  readonly randomBytes: RandomBytes;
  readonly media: FederationMediaFiles<F>;
}

/**
 * A thumbnail is hashed before it is sent (the hash goes first), so it is
 * read whole: thumbnails are small. Bigger is the original file itself (an
 * animated thumbnail a platform cannot make), whose hash is stored.
 */
const MAX_HASHED_THUMBNAIL_BYTES = 4 * 1024 * 1024;

export function mediaFederationRoutes<F extends FederationMediaFile>(
  deps: MediaRoutesDeps<F>,
): FederationRoute[] {
  const { serverName, media } = deps;
  const boundary = () => encodeHex(deps.randomBytes(16));
  return [
    {
      method: 'GET',
      path: `${V1}/media/download/{mediaId}`,
      handler: async ({ params }) => {
        const file = await media.file(serverName, params.mediaId!);
        const answer = media.serve(file);
        return multipart(boundary(), answer, file.content.size, file.content.sha256);
      },
    },
    {
      method: 'GET',
      path: `${V1}/media/thumbnail/{mediaId}`,
      handler: async (ctx) => {
        const mediaId = ctx.params.mediaId!;
        const spec = thumbnailRequest(ctx);
        const answer = await media.thumbnail(serverName, mediaId, spec);
        const body = streamedBody(answer);
        if (body.length <= MAX_HASHED_THUMBNAIL_BYTES) {
          const bytes = await wholeBody(body, MAX_HASHED_THUMBNAIL_BYTES);
          return multipart(boundary(), { ...answer, body: streamOf(bytes) }, bytes.length, sha256Hex(bytes));
        }
        const file = await media.file(serverName, mediaId);
        if (file.content.size !== body.length) throw new MatrixError(500, 'M_UNKNOWN', 'Thumbnail too large');
        return multipart(boundary(), answer, file.content.size, file.content.sha256);
      },
    },
  ];
}

function multipart(boundary: string, answer: MediaAnswer, size: number, sha256: string): StreamingResponse {
  const headers = answer.headers ?? {};
  const disposition = headers['content-disposition'];
  const encoded = encodeMediaMultipart(
    boundary,
    announce(size, sha256),
    {
      contentType: headers['content-type'] ?? 'application/octet-stream',
      ...(disposition !== undefined && { contentDisposition: disposition }),
    },
    streamedBody(answer),
  );
  return { status: 200, body: encoded.body, contentType: encoded.contentType };
}

function streamedBody(answer: MediaAnswer): StreamedBody {
  const { body } = answer;
  if (body instanceof StreamedBody) return body;
  if (body instanceof Uint8Array) return streamOf(body);
  throw new MatrixError(500, 'M_UNKNOWN', 'media answer without bytes');
}

/** Spec: width and height are required integers, method `scale` (default) or `crop`, animated a boolean. */
function thumbnailRequest(ctx: FederationRouteContext): ThumbnailRequest {
  const one = (name: string) => param(ctx, name);
  const dimension = (name: string) => {
    const value = one(name);
    if (value === undefined) throw missingParam(`${name} is required`);
    if (!/^\d{1,5}$/.test(value) || Number(value) < 1)
      throw invalidParam(`${name} must be a positive integer`);
    return Number(value);
  };
  const method = one('method') ?? 'scale';
  if (method !== 'scale' && method !== 'crop') throw invalidParam('method must be scale or crop');
  const animated = one('animated') ?? 'false';
  if (animated !== 'true' && animated !== 'false') throw invalidParam('animated must be true or false');
  return { width: dimension('width'), height: dimension('height'), method, animated: animated === 'true' };
}
