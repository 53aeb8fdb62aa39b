// The integrity rule for media between peers. The spec's federation media
// answer carries no hash, and its metadata part is an object the spec leaves
// open for later fields. Peers of this network put the content's exact size
// and SHA-256 there; the answer comes over a connection whose Noise handshake
// proved the origin's key (its server name), so the origin vouches for both.
// A reader refuses an answer without them, reads exactly `size` bytes, hashes
// them as they pass and fails at the end when the hash differs: whoever
// stores the bytes commits them only once the iteration ended without error.
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeHex } from '../../protocol/base64.ts';
import type { JsonObject } from '../../protocol/types.ts';

export const SIZE_FIELD = 'p2p_matrix.size';
export const SHA256_FIELD = 'p2p_matrix.sha256';

export interface Announced {
  readonly size: number;
  /** Lowercase hex. */
  readonly sha256: string;
}

/** The bytes that arrived are not the ones announced (their hash, or their number). */
export class IntegrityError extends Error {
  override readonly name = 'IntegrityError';
}

export function announce(size: number, sha256Hex: string): JsonObject {
  return { [SIZE_FIELD]: size, [SHA256_FIELD]: sha256Hex };
}

/** The size and hash announced in a metadata object, when both are there and well formed. */
export function announced(metadata: JsonObject): Announced | undefined {
  const size = metadata[SIZE_FIELD];
  const hash = metadata[SHA256_FIELD];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return undefined;
  if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) return undefined;
  return { size, sha256: hash };
}

/** `chunks` passed on unchanged; throws IntegrityError at the end unless they are `expected.size` bytes hashing to `expected.sha256`. */
export async function* verified(
  chunks: AsyncIterable<Uint8Array>,
  expected: Announced,
): AsyncGenerator<Uint8Array> {
  const hash = sha256.create();
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.length;
    if (size > expected.size) throw new IntegrityError(`more than the ${expected.size} bytes announced`);
    hash.update(chunk);
    yield chunk;
  }
  if (size !== expected.size) throw new IntegrityError(`${size} bytes, ${expected.size} announced`);
  const got = encodeHex(hash.digest());
  if (got !== expected.sha256) throw new IntegrityError(`SHA-256 ${got}, ${expected.sha256} announced`);
}

/** SHA-256 of `bytes`, lowercase hex (what an origin announces for a thumbnail it made). */
export function sha256Hex(bytes: Uint8Array): string {
  return encodeHex(sha256(bytes));
}
