// Cuts a response body into the pieces that cross the runtime port one
// message each (client-wire.ts: a response streams as head, chunks, end).
import { MAX_CHUNK_BYTES } from './client-wire.ts';

/** The longest run of UTF-8 continuation bytes (10xxxxxx) after a lead byte. */
const MAX_CONTINUATION_BYTES = 3;

/**
 * Consecutive, non-empty pieces of `bytes`, none longer than `max`. A cut
 * is moved back to the start of a UTF-8 character when it would fall inside
 * one, so each piece of a text body is valid UTF-8 on its own and crosses
 * the port as text rather than as base64, a third larger.
 */
export function* bodyChunks(bytes: Uint8Array, max = MAX_CHUNK_BYTES): Generator<Uint8Array> {
  for (let start = 0; start < bytes.length; ) {
    let end = Math.min(start + max, bytes.length);
    for (let back = 0; back < MAX_CONTINUATION_BYTES && end < bytes.length && end - 1 > start; back++) {
      if (!isContinuationByte(bytes[end]!)) break;
      end--;
    }
    yield bytes.subarray(start, end);
    start = end;
  }
}

function isContinuationByte(byte: number): boolean {
  return (byte & 0xc0) === 0x80;
}
