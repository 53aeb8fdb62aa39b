// A JSON answer compressed on the wire (federation-wire.ts): the client names
// the encodings it reads in its request's HEAD (`encodings`), and the server
// compresses a JSON answer of COMPRESS_FROM bytes or more with one of them,
// saying so in the answer's HEAD (`encoding`, and `decoded`, the length once
// decoded). Matrix JSON compresses well (about 4.8 times for a 1,000-member
// room's send_join answer: 1.38 MB to 286 KB): over a relayed connection, whose
// relay carries 1 MiB at most, such an answer then fits; over WebRTC it takes a
// fifth of the time. Peers that do not name an encoding get the plain bytes.
// Both ends use the platform's CompressionStream and DecompressionStream
// (Chromium, Firefox, Node 24).

import { concat, GZIP, WireError } from './federation-wire.ts';

/** A JSON answer shorter than this is sent as it is: its few bytes saved are not worth the work. */
export const COMPRESS_FROM = 16 * 1024;

/**
 * The compressed bytes go into the decoder this many at a time. In browsers
 * a chunk is inflated whole before the next is taken, and deflate expands at
 * most about 1,032 times, so a peer's bomb costs at most about 4 MB beyond
 * the declared length before it is refused; Node's zlib stops on the
 * reader's back-pressure instead (a few hundred KB held).
 */
const INPUT_CHUNK = 4 * 1024;

/** `bytes` gzipped, or undefined when that is no shorter (or failed: the plain bytes go). */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array | undefined> {
  try {
    const compressed = new Response(bytes as Uint8Array<ArrayBuffer>).body!.pipeThrough(
      new CompressionStream(GZIP),
    );
    const out = new Uint8Array(await new Response(compressed).arrayBuffer());
    return out.length < bytes.length ? out : undefined;
  } catch {
    return undefined;
  }
}

/** A JSON answer for a client that reads gzip: gzipped from COMPRESS_FROM bytes on (gzip's rules), else undefined. */
export function gzippedAnswer(bytes: Uint8Array): Promise<Uint8Array | undefined> {
  return bytes.length >= COMPRESS_FROM ? gzip(bytes) : Promise.resolve(undefined);
}

/**
 * Decodes a gzip body that its HEAD said comes to `decoded` bytes: anything
 * that does not decode to exactly that many is malformed, and decoding stops
 * as soon as it would give more.
 */
export async function gunzip(bytes: Uint8Array, decoded: number): Promise<Uint8Array> {
  const stream = new DecompressionStream(GZIP);
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const writing = (async () => {
    for (let at = 0; at < bytes.length; at += INPUT_CHUNK)
      await writer.write(bytes.subarray(at, at + INPUT_CHUNK) as Uint8Array<ArrayBuffer>);
    await writer.close();
  })();
  // Its failure is the reader's too, and reported there.
  writing.catch(() => {});
  // Kept as they come, not in a buffer of the declared size: a few bytes may declare megabytes.
  const chunks: Uint8Array[] = [];
  let filled = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (filled + value.length > decoded)
        throw new WireError('malformed', `body decodes to more than the ${decoded} bytes declared`);
      chunks.push(value);
      filled += value.length;
    }
    await writing;
  } catch (err) {
    reader.cancel().catch(() => {});
    if (err instanceof WireError) throw err;
    throw new WireError('malformed', `body is not valid ${GZIP}`);
  }
  if (filled !== decoded)
    throw new WireError('malformed', `body decodes to ${filled} bytes, not the ${decoded} declared`);
  return concat(chunks, filled);
}
