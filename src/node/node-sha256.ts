// Node's SHA-256 for the core's event hashing (src/core/protocol/crypto.ts):
// `crypto.hash` is OpenSSL's, synchronous, and five times faster than the
// @noble/hashes the core uses everywhere else. Each Node composition root
// (the CLI, the test and bench clusters) hands it over once at start.
import { hash } from 'node:crypto';
import { useSha256 } from '../core/protocol.ts';

export function useNodeSha256(): boolean {
  return useSha256((bytes) => {
    // The digest as a 'binary' (latin1) string, one character per byte, copied into a
    // 32-byte array, which V8 keeps on its heap: a Buffer's memory is
    // allocated outside it, and cost more than the hash of a whole event
    // (700 bytes, Node 24.21: 'buffer' 1.17 µs a hash, this 0.65 µs).
    const digest = hash('sha256', bytes, 'binary');
    const out = new Uint8Array(digest.length);
    for (let i = 0; i < digest.length; i++) out[i] = digest.charCodeAt(i);
    return out;
  });
}
