// Helpers over StreamedBody (transport.ts) that every transport shares: the
// length check a sender and a receiver both make, and the way from a stream to
// whole bytes (bounded) and back.
import { StreamedBody } from './transport.ts';

/** The body's bytes are not what its length announced: fewer (cut short) or more. */
export class BodyLengthMismatch extends Error {
  override readonly name = 'BodyLengthMismatch';
}

/** `body`'s chunks, throwing BodyLengthMismatch as soon as they exceed its length or end short of it. */
export async function* exactChunks(body: StreamedBody): AsyncGenerator<Uint8Array> {
  let seen = 0;
  for await (const chunk of body.chunks) {
    seen += chunk.length;
    if (seen > body.length) throw new BodyLengthMismatch(`body longer than its ${body.length} bytes`);
    if (chunk.length > 0) yield chunk;
  }
  if (seen !== body.length) throw new BodyLengthMismatch(`body of ${seen} bytes, ${body.length} announced`);
}

/** The whole body in one buffer; refuses (RangeError) one announced larger than `maxBytes` before reading it. */
export async function wholeBody(body: StreamedBody, maxBytes: number): Promise<Uint8Array> {
  if (body.length > maxBytes) throw new RangeError(`body of ${body.length} bytes exceeds ${maxBytes}`);
  const out = new Uint8Array(body.length);
  let at = 0;
  for await (const chunk of exactChunks(body)) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** `bytes` as a StreamedBody of views of at most `chunkBytes` each. */
export function streamOf(bytes: Uint8Array, chunkBytes = 64 * 1024): StreamedBody {
  return new StreamedBody(
    bytes.length,
    (async function* () {
      for (let at = 0; at < bytes.length; at += chunkBytes) yield bytes.subarray(at, at + chunkBytes);
    })(),
  );
}
