// SHA-256 for hashing events, synchronous: `crypto.subtle.digest` pays a
// thread hop per call that costs more than hashing an event (measured on a
// 700-byte event: noble 6 µs, WebCrypto 22 µs with many in flight, 34 µs one
// at a time), and receiving a PDU hashes it twice. @noble/hashes serves every
// runtime; a host with a faster synchronous one hands it over with
// useSha256 at start (Node's `crypto.hash`, OpenSSL, is five times faster:
// 700 bytes, Node 24.21, load 0.8: noble 10.5-11.0 µs, `hash` 1.9-2.2 µs;
// src/node/node-sha256.ts). Hashing is deterministic, so which one runs
// changes the speed, never a result, and it is one choice per process rather
// than a port threaded through the fifty pure functions that hash; a
// candidate is taken only if it hashes the FIPS 180-2 "abc" vector right.
// Ed25519 is a port (ed25519.ts): its fast implementation is the platform's.

import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { encodeHex } from './base64.ts';

export type HashBytes = (bytes: Uint8Array) => Uint8Array;

/** Async for the callers' sake (it was WebCrypto); the work is synchronous. */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return sha256Now(bytes);
}

/** sha256 at once, for bytes that are not kept until a promise settles (utf8Transient's). */
export function sha256Now(bytes: Uint8Array): Uint8Array {
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

let hashBytes: HashBytes = nobleSha256;

/** Hashes with `candidate` from now on if it hashes the FIPS 180-2 "abc" vector right; says whether it was taken. */
export function useSha256(candidate: HashBytes): boolean {
  try {
    if (encodeHex(candidate(new TextEncoder().encode('abc'))) !== ABC_SHA256) return false;
  } catch {
    return false;
  }
  hashBytes = candidate;
  return true;
}
