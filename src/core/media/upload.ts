// Uploads (spec: "Content repository"): POST /_matrix/media/v3/upload, and the
// asynchronous pair POST /_matrix/media/v1/create + PUT
// /_matrix/media/v3/upload/{serverName}/{mediaId}. The body is streamed into
// the blob store (content.ts); the metadata row and the uploader's usage are
// committed in one transaction afterwards, which re-checks the quota and the
// id's state, so two uploads racing cannot both pass a check.
import { forbidden, limitExceeded, MatrixError, notFound, tooLarge } from '../errors.ts';
import { queryParam } from '../http/query.ts';
import type { RequestContext } from '../http/route.ts';
import { declaredLength, requestChunks } from '../http/streamed-body.ts';
import type { WriteTx } from '../storage/port.ts';
import { deleteQuietly, writeContent } from './content.ts';
import type { MediaDeps } from './deps.ts';
import { normaliseContentType } from './headers.ts';
import { checkFileName, checkServerName, mxcUri, newMediaId } from './ids.ts';
import { addUsage, dropExpiredPending, isExpired, pendingUploads, usageOf } from './records.ts';
import {
  type LocalMediaRow,
  localMediaTable,
  MEDIA_LOCAL,
  MEDIA_USAGE,
  type StoredContent,
} from './tables.ts';
import type { UploadWaiters } from './waiters.ts';

const quotaExceeded = (quota: number) =>
  new MatrixError(403, 'M_RESOURCE_LIMIT_EXCEEDED', `Your uploads would pass your quota of ${quota} bytes`);

export interface UploadDeps extends MediaDeps {
  readonly waiters: UploadWaiters;
}

/** POST /_matrix/media/v3/upload: streams the body in; `{content_uri}`. */
export async function upload(deps: UploadDeps, ctx: RequestContext) {
  const userId = ctx.caller!.userId;
  const fileName = optionalFileName(ctx);
  const content = await receive(deps, ctx, userId);
  const mediaId = newMediaId(deps.randomBytes);
  await commit(deps, userId, content, async () => ({
    mediaId,
    uploader: userId,
    createdTs: deps.clock.now(),
    complete: 1,
    content,
    ...(fileName !== undefined && { fileName }),
  }));
  return { body: { content_uri: mxcUri(deps.serverName, mediaId) } };
}

/** POST /_matrix/media/v1/create: an id to upload to later; at most maxPendingUploads unused at once (429). */
export async function create(deps: UploadDeps, ctx: RequestContext) {
  const userId = ctx.caller!.userId;
  const now = deps.clock.now();
  const expiresTs = now + deps.config.pendingExpiryMs;
  const mediaId = newMediaId(deps.randomBytes);
  await deps.store.write([MEDIA_LOCAL], async (tx) => {
    await dropExpiredPending(tx, userId, now);
    const pending = await pendingUploads(tx, userId, now);
    if (pending.length >= deps.config.maxPendingUploads) {
      const soonest = Math.min(...pending.map((row) => row.expiresTs ?? now));
      throw limitExceeded(Math.max(soonest - now, 1000), 'Too many media ids waiting for their upload');
    }
    await localMediaTable.put(tx, { mediaId, uploader: userId, createdTs: now, complete: 0, expiresTs });
  });
  return { body: { content_uri: mxcUri(deps.serverName, mediaId), unused_expires_at: expiresTs } };
}

/**
 * PUT /_matrix/media/v3/upload/{serverName}/{mediaId}: content for an id from
 * /create. Another server's name or an unknown or expired id is 404
 * M_NOT_FOUND, another user's id 403 M_FORBIDDEN, an id that already has
 * content 409 M_CANNOT_OVERWRITE_MEDIA (checked before and again at commit).
 */
export async function uploadTo(deps: UploadDeps, ctx: RequestContext) {
  const userId = ctx.caller!.userId;
  const serverName = checkServerName(ctx.params.serverName!);
  const mediaId = ctx.params.mediaId!;
  const fileName = optionalFileName(ctx);
  const check = (row: LocalMediaRow | undefined): LocalMediaRow => {
    if (serverName !== deps.serverName || !row || isExpired(row, deps.clock.now())) {
      throw notFound('Unknown or expired media ID');
    }
    if (row.uploader !== userId) throw forbidden('This media ID belongs to another user');
    if (row.complete === 1) throw new MatrixError(409, 'M_CANNOT_OVERWRITE_MEDIA', 'Media already uploaded');
    return row;
  };
  check(await deps.store.read([MEDIA_LOCAL], (tx) => localMediaTable.get(tx, mediaId)));
  const content = await receive(deps, ctx, userId);
  await commit(deps, userId, content, async (tx) => {
    const row = check(await localMediaTable.get(tx, mediaId));
    const { expiresTs: _, ...rest } = row;
    return { ...rest, complete: 1, content, ...(fileName !== undefined && { fileName }) };
  });
  deps.waiters.uploaded(mediaId);
  return { body: {} };
}

function optionalFileName(ctx: RequestContext): string | undefined {
  const name = queryParam(ctx.req, 'filename');
  return name === undefined ? undefined : checkFileName(name);
}

/** The body into a blob, after the cheap refusals: a declared size over the limit or the quota. */
async function receive(deps: UploadDeps, ctx: RequestContext, userId: string): Promise<StoredContent> {
  const { maxUploadBytes, userQuotaBytes } = deps.config;
  const declared = declaredLength(ctx.req);
  if (declared !== undefined && declared > maxUploadBytes) {
    throw tooLarge(`Uploads may be at most ${maxUploadBytes} bytes`);
  }
  const used = (await deps.store.read([MEDIA_USAGE], (tx) => usageOf(tx, userId))).bytes;
  if (used + (declared ?? 0) > userQuotaBytes) throw quotaExceeded(userQuotaBytes);
  const contentType = normaliseContentType(ctx.req.headers['content-type']);
  return writeContent(deps.blobs, requestChunks(ctx.req), contentType, { maxBytes: maxUploadBytes });
}

/** Commits the row `build` makes (in the transaction) with the uploader's usage; the blob goes if it fails. */
async function commit(
  deps: UploadDeps,
  userId: string,
  content: StoredContent,
  build: (tx: WriteTx) => Promise<LocalMediaRow>,
): Promise<void> {
  try {
    await deps.store.write([MEDIA_LOCAL, MEDIA_USAGE], async (tx) => {
      const usage = await usageOf(tx, userId);
      if (usage.bytes + content.size > deps.config.userQuotaBytes)
        throw quotaExceeded(deps.config.userQuotaBytes);
      await localMediaTable.put(tx, await build(tx));
      await addUsage(tx, userId, content.size);
    });
  } catch (err) {
    await deleteQuietly(deps.blobs, deps.logger, [content.blob]);
    throw err;
  }
}
