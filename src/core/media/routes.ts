// The media module's Client-Server routes (spec: "Content repository"): the
// authenticated /_matrix/client/v1/media endpoints (v1.11), the legacy
// /_matrix/media/v3 ones (and their r0 names, which older clients still
// use), and the uploads.
import { forbidden, invalidParam, missingParam } from '../errors.ts';
import { queryBoolean, queryInteger } from '../http/query.ts';
import type { RequestContext, Route } from '../http/route.ts';
import type { KeyedQueue } from '../keyed-queue.ts';
import { DEFAULT_TIMEOUT_MS, findFile, type FilesDeps, MAX_TIMEOUT_MS, serveFile } from './files.ts';
import { checkFileName } from './ids.ts';
import { thumbnail } from './thumbnails.ts';
import { create, type UploadDeps, upload, uploadTo } from './upload.ts';

const LEGACY = ['/_matrix/media/v3', '/_matrix/media/r0'];
const AUTHENTICATED = '/_matrix/client/v1/media';

/** Spec: thumbnail width and height are positive; anything past this is refused rather than attempted. */
const MAX_DIMENSION = 10_000;

export function mediaRoutes(deps: UploadDeps & FilesDeps, queue: KeyedQueue): Route[] {
  const download = async (ctx: RequestContext, legacy: boolean) => {
    const fileName = ctx.params.fileName === undefined ? undefined : checkFileName(ctx.params.fileName);
    const file = await findFile(deps, ctx.params.serverName!, ctx.params.mediaId!, findOptions(ctx, legacy));
    return serveFile(deps, file, fileName, ctx.req.headers.range);
  };
  const thumb = async (ctx: RequestContext, legacy: boolean) => {
    const { serverName, mediaId } = ctx.params as { serverName: string; mediaId: string };
    const spec = {
      width: queryInteger(ctx.req, 'width', { min: 1, max: MAX_DIMENSION }) ?? missing('width'),
      height: queryInteger(ctx.req, 'height', { min: 1, max: MAX_DIMENSION }) ?? missing('height'),
      method: thumbnailMethod(ctx),
      animated: queryBoolean(ctx.req, 'animated') ?? false,
    };
    const file = await findFile(deps, serverName, mediaId, findOptions(ctx, legacy));
    return thumbnail(deps, queue, serverName, mediaId, file, spec);
  };
  const config = async () => ({ body: { 'm.upload.size': deps.config.maxUploadBytes } });
  /**
   * URL previews are refused, on purpose: a peer-to-peer homeserver runs on
   * the user's own device, so fetching a URL from a message would reveal the
   * user's address and what they read to whoever sent the link, and the
   * extension has no business opening arbitrary sites. 403 M_FORBIDDEN (as
   * servers with previews turned off answer), which clients show as "no preview".
   */
  const previewUrl = async (): Promise<never> => {
    throw forbidden(
      'URL previews are turned off on this homeserver (a peer-to-peer server fetches no web pages)',
    );
  };
  const routes: Route[] = [
    {
      method: 'POST',
      path: '/_matrix/media/v1/create',
      auth: 'required',
      rateLimit: 'media_upload',
      handler: (ctx) => create(deps, ctx),
    },
    { method: 'GET', path: `${AUTHENTICATED}/config`, auth: 'required', handler: config },
    { method: 'GET', path: `${AUTHENTICATED}/preview_url`, auth: 'required', handler: previewUrl },
    ...['/{serverName}/{mediaId}', '/{serverName}/{mediaId}/{fileName}'].map(
      (tail): Route => ({
        method: 'GET',
        path: `${AUTHENTICATED}/download${tail}`,
        auth: 'required',
        handler: (ctx) => download(ctx, false),
      }),
    ),
    {
      method: 'GET',
      path: `${AUTHENTICATED}/thumbnail/{serverName}/{mediaId}`,
      auth: 'required',
      handler: (ctx) => thumb(ctx, false),
    },
  ];
  for (const prefix of LEGACY) {
    routes.push(
      {
        method: 'POST',
        path: `${prefix}/upload`,
        auth: 'required',
        rateLimit: 'media_upload',
        streamBody: true,
        handler: (ctx) => upload(deps, ctx),
      },
      {
        method: 'PUT',
        path: `${prefix}/upload/{serverName}/{mediaId}`,
        auth: 'required',
        rateLimit: 'media_upload',
        streamBody: true,
        handler: (ctx) => uploadTo(deps, ctx),
      },
      { method: 'GET', path: `${prefix}/config`, auth: 'required', handler: config },
      { method: 'GET', path: `${prefix}/preview_url`, auth: 'required', handler: previewUrl },
      // Legacy downloads are unauthenticated, as spec v1.10 had them (clients before v1.11 use them).
      ...['/{serverName}/{mediaId}', '/{serverName}/{mediaId}/{fileName}'].map(
        (tail): Route => ({
          method: 'GET',
          path: `${prefix}/download${tail}`,
          auth: 'none',
          handler: (ctx) => download(ctx, true),
        }),
      ),
      {
        method: 'GET',
        path: `${prefix}/thumbnail/{serverName}/{mediaId}`,
        auth: 'none',
        handler: (ctx) => thumb(ctx, true),
      },
    );
  }
  return routes;
}

function findOptions(ctx: RequestContext, legacy: boolean) {
  const timeout = queryInteger(ctx.req, 'timeout_ms', { min: 0 }) ?? DEFAULT_TIMEOUT_MS;
  return {
    timeoutMs: Math.min(timeout, MAX_TIMEOUT_MS),
    // `allow_remote` exists on the legacy endpoints only (v1 always may fetch).
    allowRemote: legacy ? (queryBoolean(ctx.req, 'allow_remote') ?? true) : true,
  };
}

function thumbnailMethod(ctx: RequestContext): 'scale' | 'crop' {
  const method = ctx.req.query.method;
  const value = typeof method === 'string' ? method : method?.[0];
  if (value === undefined || value === 'scale') return 'scale';
  if (value === 'crop') return 'crop';
  throw invalidParam('method must be scale or crop');
}

function missing(name: string): never {
  throw missingParam(`Missing query parameter ${name}`);
}
