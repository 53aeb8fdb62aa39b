// Node's SHA-256 for the core's event hashing (src/core/protocol/crypto.ts):
// `crypto.hash` is OpenSSL's, synchronous, and five times faster than the
// @noble/hashes the core uses everywhere else. Each Node composition root
// (the CLI, the test and bench clusters) hands it over once at start.
import { hash } from 'node:crypto';
import { useSha256 } from '../core/protocol.ts';

export function useNodeSha256(): boolean {
  return useSha256((bytes) => {
    const digest = hash('sha256', bytes, 'buffer');
    // A plain Uint8Array view of the Buffer: a Buffer's slice() shares memory, a Uint8Array's copies.
    return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
  });
}
