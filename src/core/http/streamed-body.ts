// Bodies that travel in chunks, both ways: a response body read from the
// media store chunk by chunk (an adapter writes each chunk as it comes, so a
// download is never whole in memory), and a request body taken as it arrives.
import { tooLarge } from '../errors.ts';
import type { HsRequest } from './types.ts';

/** A response body of `length` bytes, produced in order by `chunks` (iterated once). */
export class StreamedBody {
  readonly length: number;
  readonly chunks: AsyncIterable<Uint8Array>;

  constructor(length: number, chunks: AsyncIterable<Uint8Array>) {
    this.length = length;
    this.chunks = chunks;
  }
}

/** The request body as chunks, whichever way the adapter gave it (none: no chunk). */
export async function* requestChunks(req: HsRequest): AsyncIterable<Uint8Array> {
  if (req.body !== undefined) {
    if (req.body.length > 0) yield req.body;
    return;
  }
  if (req.bodyStream !== undefined) yield* req.bodyStream;
}

/**
 * A streamed request body read whole; more than `limit` bytes (declared in
 * Content-Length or arriving) is 413 M_TOO_LARGE before the rest is read.
 */
export async function collectBody(
  chunks: AsyncIterable<Uint8Array>,
  limit: number,
): Promise<Uint8Array | undefined> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.length;
    if (size > limit) throw tooLarge(`Request body is larger than ${limit} bytes`);
    parts.push(chunk);
  }
  if (size === 0) return undefined;
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The Content-Length a client declared, when it is a plain decimal number. */
export function declaredLength(req: HsRequest): number | undefined {
  const value = req.headers['content-length'];
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}
