// SHA-256 for hashing events, synchronous: `crypto.subtle.digest` pays a
// thread hop per call that costs more than hashing an event (measured on a
// 700-byte event: noble 6 µs, WebCrypto 22 µs with many in flight, 34 µs one
// at a time), and receiving a PDU hashes it twice. In Node the platform's own
// synchronous one, `crypto.hash` (OpenSSL), is five times faster than
// @noble/hashes (700 bytes, Node 24.21, load 0.8: noble 10.5-11.0 µs,
// `hash` 1.9-2.2 µs, `createHash` 2.7-3.4 µs): it is reached through
// process.getBuiltinModule, so that this module still loads in a browser
// (where there is no `process`, and noble is used). Hashing is deterministic,
// so which one runs changes the speed, never a result; the platform's is only
// taken if it hashes the FIPS 180-2 "abc" vector right. Ed25519 is a port
// (ed25519.ts): its fast implementation is the platform's.

import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { encodeHex } from './base64.ts';

type HashBytes = (bytes: Uint8Array) => Uint8Array;

/** Async for the callers' sake (it was WebCrypto); the work is synchronous. */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return hashBytes(bytes);
}

/** SHA-256 over bytes that arrive in pieces (a media upload, never whole in memory). */
export interface Sha256Hasher {
  update(bytes: Uint8Array): void;
  digest(): Uint8Array;
}

export function sha256Hasher(): Sha256Hasher {
  const hash = nobleSha256.create();
  return {
    update: (bytes) => {
      hash.update(bytes);
    },
    digest: () => hash.digest(),
  };
}

const ABC_SHA256 = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

const hashBytes: HashBytes = platformSha256() ?? nobleSha256;

/** Node's `crypto.hash` when this runtime is Node and has it (22.3+), else undefined. */
function platformSha256(): HashBytes | undefined {
  interface NodeCrypto {
    hash(algorithm: 'sha256', data: Uint8Array, encoding: 'buffer'): Uint8Array;
  }
  const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    const crypto = runtime?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;
    if (typeof crypto?.hash !== 'function') return undefined;
    // A plain Uint8Array view of the Buffer: a Buffer's slice() shares memory, a Uint8Array's copies.
    const hash: HashBytes = (bytes) => {
      const digest = crypto.hash('sha256', bytes, 'buffer');
      return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
    };
    return encodeHex(hash(new TextEncoder().encode('abc'))) === ABC_SHA256 ? hash : undefined;
  } catch {
    return undefined;
  }
}
