// Fetching another peer's media into our cache (the media module's
// RemoteMediaSource): GET /_matrix/federation/v1/media/download/{mediaId}
// from the origin itself (an mxc server name is a peer's key, so the
// transport dials it by name), read as it arrives (PeerTransport.requestStream)
// and handed to the media module's cache as a stream of exactly the announced
// number of bytes; the cache hashes and counts them while writing and commits
// only a whole file whose size and SHA-256 are the announced ones
// (integrity.ts). Anything else leaves nothing behind and the client gets an
// error as Synapse gives one: the origin's 404 as 404 M_NOT_FOUND, an origin
// that is unreachable, answers garbage or lies 502 M_UNKNOWN, one too big 502
// M_TOO_LARGE, one that does not answer in time 504 M_UNKNOWN.
//
// Bounds: one fetch per file at a time (concurrent requests share it); a
// body over maxBytes is refused from its head; the head must come within the
// client's timeout and the body may pause no longer than that between pieces
// (the transport), and may take at most `deadlineMs` in all.
import { MatrixError, notFound } from '../../errors.ts';
import type { Clock, Logger } from '../../ports.ts';
import { fedPath } from '../federation-client.ts';
import { PeerProtocolError, type PeerTransport, PeerUnreachable, StreamedBody } from '../transport.ts';
import { type Announced, announced } from './integrity.ts';
import { MultipartError, readMediaMultipart } from './multipart.ts';

/** Room for the multipart framing around the content (headers, metadata, boundaries). */
const MULTIPART_OVERHEAD_BYTES = 128 * 1024;

/** What the origin said of the file, for the cache to check and keep. */
export interface RemoteFileAnnounced {
  readonly contentType?: string;
  readonly fileName?: string;
  readonly size: number;
  readonly sha256: string;
}

/** Where fetched files go (MediaModule.cacheRemote): writes `chunks` and commits only a whole, matching file. */
export interface RemoteMediaCache {
  cacheRemote(
    origin: string,
    mediaId: string,
    meta: RemoteFileAnnounced,
    chunks: AsyncIterable<Uint8Array>,
  ): Promise<void>;
}

export interface RemoteMediaDeps {
  readonly transport: PeerTransport;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly cache: RemoteMediaCache;
  /** The largest remote file we take (our own upload limit). */
  readonly maxBytes: number;
  /** The longest a whole transfer may take, however steadily it trickles. */
  readonly deadlineMs?: number;
}

export interface RemoteMedia {
  /** Fetches origin's file into the cache; throws the MatrixError the client gets. */
  fetch(origin: string, mediaId: string, timeoutMs: number): Promise<void>;
}

const DEFAULT_DEADLINE_MS = 10 * 60_000;

export function createRemoteMedia(deps: RemoteMediaDeps): RemoteMedia {
  const inFlight = new Map<string, Promise<void>>();
  return {
    fetch(origin, mediaId, timeoutMs) {
      const key = `${origin}\u0000${mediaId}`;
      const running = inFlight.get(key);
      if (running) return running;
      const fetching = fetchOnce(deps, origin, mediaId, timeoutMs).finally(() => inFlight.delete(key));
      inFlight.set(key, fetching);
      return fetching;
    },
  };
}

async function fetchOnce(
  deps: RemoteMediaDeps,
  origin: string,
  mediaId: string,
  timeoutMs: number,
): Promise<void> {
  const { transport } = deps;
  const deadline = deps.clock.now() + (deps.deadlineMs ?? DEFAULT_DEADLINE_MS);
  try {
    const res = await transport.requestStream(
      origin,
      {
        method: 'GET',
        path: fedPath`/_matrix/federation/v1/media/download/${mediaId}`,
        origin: transport.serverName,
      },
      { timeoutMs, maxBodyBytes: deps.maxBytes + MULTIPART_OVERHEAD_BYTES },
    );
    if (res.status === 404) throw notFound('Media not found on its server');
    if (res.status !== 200 || !(res.body instanceof StreamedBody))
      throw new MultipartError(`the origin answered ${res.status}`);
    let found: Announced | undefined;
    const { multipart } = await readMediaMultipart(res.contentType, res.body, (metadata) => {
      found = announced(metadata);
      return found?.size;
    });
    const meta = found!;
    if (meta.size > deps.maxBytes) {
      await multipart.content[Symbol.asyncIterator]().return?.();
      throw tooLargeRemote(deps.maxBytes);
    }
    const contentType = multipart.headers['content-type'];
    const fileName = fileNameOf(multipart.headers['content-disposition']);
    await deps.cache.cacheRemote(
      origin,
      mediaId,
      {
        size: meta.size,
        sha256: meta.sha256,
        ...(contentType !== undefined && { contentType }),
        ...(fileName !== undefined && { fileName }),
      },
      withDeadline(deps.clock, deadline, multipart.content),
    );
  } catch (err) {
    const error = clientError(err);
    if (error.status !== 404)
      deps.logger.warn('remote media fetch failed', { origin, mediaId, reason: describe(err) });
    throw error;
  }
}

class DeadlinePassed extends Error {
  override readonly name = 'DeadlinePassed';
}

async function* withDeadline(
  clock: Clock,
  deadline: number,
  chunks: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    if (clock.now() > deadline) throw new DeadlinePassed('the transfer took too long');
    yield chunk;
  }
}

const tooLargeRemote = (max: number) =>
  new MatrixError(502, 'M_TOO_LARGE', `The remote file is larger than the ${max} bytes we take`);

/** The error the client gets for a failed fetch (Synapse's statuses). */
function clientError(err: unknown): MatrixError {
  if (err instanceof MatrixError) return err;
  if (err instanceof PeerProtocolError && err.violation === 'too-large')
    return new MatrixError(502, 'M_TOO_LARGE', 'The remote file is too large');
  if ((err instanceof PeerUnreachable && err.reason === 'timeout') || err instanceof DeadlinePassed)
    return new MatrixError(504, 'M_UNKNOWN', 'Timed out fetching remote media');
  return new MatrixError(502, 'M_UNKNOWN', 'Failed to fetch remote media');
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** The file name of a Content-Disposition (`filename*=UTF-8''…` or `filename="…"`), when there is one. */
export function fileNameOf(disposition: string | undefined): string | undefined {
  if (disposition === undefined) return undefined;
  const extended = /filename\*\s*=\s*utf-8''([^;]+)/i.exec(disposition);
  if (extended) {
    try {
      return decodeURIComponent(extended[1]!.trim());
    } catch {
      return undefined;
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(disposition);
  return plain ? (plain[1]?.replace(/\\(.)/g, '$1') ?? plain[2]) : undefined;
}
