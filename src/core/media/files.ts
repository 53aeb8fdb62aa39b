// Finding a file to serve, local or remote (spec: GET
// /_matrix/client/v1/media/download/{serverName}/{mediaId}), and the answer
// that streams it from the blob store with the media headers (headers.ts).
import { MatrixError, notFound } from '../errors.ts';
import type { HandlerResult } from '../http/route.ts';
import { StreamedBody } from '../http/streamed-body.ts';
import type { MediaDeps } from './deps.ts';
import { mediaHeaders } from './headers.ts';
import { byteRange } from './range.ts';
import { checkMediaId, checkServerName } from './ids.ts';
import { isExpired, localFile, type MediaFile, remoteFile } from './records.ts';
import { touchRemote } from './remote-cache.ts';
import { localMediaTable, MEDIA_LOCAL, MEDIA_REMOTE, remoteMediaTable } from './tables.ts';
import type { UploadWaiters } from './waiters.ts';

/** Spec: `timeout_ms` defaults to 20 seconds; we wait at most two minutes whatever is asked. */
export const DEFAULT_TIMEOUT_MS = 20_000;
export const MAX_TIMEOUT_MS = 120_000;

export interface FindOptions {
  readonly timeoutMs: number;
  /** False: another server's file is not fetched (legacy `allow_remote=false`). */
  readonly allowRemote: boolean;
}

export interface FilesDeps extends MediaDeps {
  readonly waiters: UploadWaiters;
}

/**
 * The file named by a request's serverName and mediaId. Malformed ones are
 * 400 M_INVALID_PARAM; unknown ones 404 M_NOT_FOUND; an id from /create
 * whose content has not come within the timeout 504 M_NOT_YET_UPLOADED.
 */
export async function findFile(
  deps: FilesDeps,
  serverName: string,
  mediaId: string,
  options: FindOptions,
): Promise<MediaFile> {
  checkServerName(serverName);
  checkMediaId(mediaId);
  if (serverName === deps.serverName) return findLocal(deps, mediaId, options.timeoutMs);
  const cached = await readRemote(deps, serverName, mediaId);
  if (cached) return cached;
  const remote = deps.remote();
  if (!options.allowRemote || !remote) throw notFound('Media not found');
  await remote.fetch(serverName, mediaId, options.timeoutMs);
  const fetched = await readRemote(deps, serverName, mediaId);
  if (!fetched) throw notFound('Media not found');
  return fetched;
}

async function readRemote(deps: MediaDeps, origin: string, mediaId: string): Promise<MediaFile | undefined> {
  const row = await deps.store.read([MEDIA_REMOTE], (tx) => remoteMediaTable.get(tx, [origin, mediaId]));
  if (row) await touchRemote(deps.store, row, deps.clock.now());
  return remoteFile(row);
}

async function findLocal(deps: FilesDeps, mediaId: string, timeoutMs: number): Promise<MediaFile> {
  const waiting = deps.waiters.wait(mediaId);
  try {
    const row = await deps.store.read([MEDIA_LOCAL], (tx) => localMediaTable.get(tx, mediaId));
    if (!row || isExpired(row, deps.clock.now())) throw notFound('Media not found');
    const file = localFile(row);
    if (file) return file;
    if (timeoutMs <= 0)
      throw new MatrixError(504, 'M_NOT_YET_UPLOADED', 'The media has not been uploaded yet');
    let timedOut = true;
    await deps.clock.sleep(
      timeoutMs,
      waiting.done.then(() => {
        timedOut = false;
      }),
    );
    const after = localFile(await deps.store.read([MEDIA_LOCAL], (tx) => localMediaTable.get(tx, mediaId)));
    if (after) return after;
    throw new MatrixError(
      504,
      'M_NOT_YET_UPLOADED',
      timedOut ? 'The media has not been uploaded yet' : 'Media not found',
    );
  } finally {
    waiting.cancel();
  }
}

/**
 * A 200 answer streaming the file; `fileName` (from a download path)
 * replaces the stored name. With a Range header (range.ts) the part asked
 * for, 206, or 416 for a range past the file's end.
 */
export function serveFile(
  deps: MediaDeps,
  file: MediaFile,
  fileName?: string,
  rangeHeader?: string,
): HandlerResult {
  const { content } = file;
  const headers = {
    ...mediaHeaders(content.contentType, fileName ?? file.fileName),
    'accept-ranges': 'bytes',
  };
  const range = byteRange(rangeHeader, content.size);
  if (range === 'unsatisfiable') {
    return {
      status: 416,
      body: { errcode: 'M_UNKNOWN', error: 'The requested range is not satisfiable' },
      headers: { 'content-range': `bytes */${content.size}` },
    };
  }
  if (range) {
    const length = range.end - range.start + 1;
    return {
      status: 206,
      body: new StreamedBody(length, deps.blobs.read(content.blob, { offset: range.start, length })),
      headers: { ...headers, 'content-range': `bytes ${range.start}-${range.end}/${content.size}` },
    };
  }
  return { body: new StreamedBody(content.size, deps.blobs.read(content.blob)), headers };
}
