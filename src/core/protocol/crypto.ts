// SHA-256 for hashing events. @noble/hashes, synchronous: `crypto.subtle.digest`
// pays a thread hop per call that costs more than hashing an event (measured
// on a 700-byte event: noble 6 µs, WebCrypto 22 µs with many in flight, 34 µs
// one at a time), and receiving a PDU hashes it twice. Ed25519 is a port
// (ed25519.ts): its fast implementation is the platform's.

import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

/** Async for the callers' sake (it was WebCrypto); the work is synchronous. */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return nobleSha256(bytes);
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
