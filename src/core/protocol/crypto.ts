// Ed25519 and SHA-256 for signing and hashing events, through WebCrypto.
//
// Ed25519 runs on WebCrypto where the platform has it (Node 24, Chrome 137+,
// Firefox 129+, Safari 17+) and on tweetnacl elsewhere; the choice is made
// once, by signing the RFC 8032 test vector. SHA-256 is @noble/hashes,
// synchronous: `crypto.subtle.digest` pays a thread hop per call that costs
// more than hashing an event (measured on a 700-byte event: noble 6 µs,
// WebCrypto 22 µs with many in flight, 34 µs one at a time), and receiving a
// PDU hashes it twice.
//
// Measured with `node bench/run.ts protocol` (Node 24.21, 2 cores shared with
// other jobs, load 2-3, a 754-byte signed message event; ranges over runs):
//   WebCrypto, one at a time:  4,700-6,900 verifications/s, 10,000-12,000 signs/s
//   WebCrypto, 32 in flight:   10,000-15,000 verifications/s, 22,000-31,000 signs/s
//   tweetnacl:                 40-190 verifications/s, 57-310 signs/s
// WebCrypto verifies 40-120x faster one at a time and 65-380x batched, so
// tweetnacl is a last resort: too slow to catch up on a busy room's history.

import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { decodeHex } from './base64.ts';
import { createEd25519Backend } from './ed25519-backends.ts';
import type { Ed25519Backend } from './ed25519-backends.ts';

export { createEd25519Backend } from './ed25519-backends.ts';
export type { Ed25519Backend, Ed25519BackendKind } from './ed25519-backends.ts';
export { CryptoUnavailableError } from './webcrypto.ts';

// RFC 8032 §7.1, TEST 1: the empty message signed with this seed.
const PROBE_SEED = decodeHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const PROBE_PUBLIC_KEY = decodeHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
const PROBE_SIGNATURE = decodeHex(
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
);

let chosen: Promise<Ed25519Backend> | undefined;

/** The Ed25519 backend in use: WebCrypto when it signs and verifies the RFC 8032 vector correctly, else tweetnacl. */
export function ed25519Backend(): Promise<Ed25519Backend> {
  chosen ??= detectBackend();
  return chosen;
}

async function detectBackend(): Promise<Ed25519Backend> {
  try {
    const webcrypto = createEd25519Backend('webcrypto');
    const empty = new Uint8Array(0);
    const signature = await webcrypto.sign(PROBE_SEED, empty);
    const verified = await webcrypto.verify(PROBE_PUBLIC_KEY, empty, PROBE_SIGNATURE);
    if (verified && equalBytes(signature, PROBE_SIGNATURE)) return webcrypto;
  } catch {
    // No SubtleCrypto, or no Ed25519 in it (NotSupportedError): fall through.
  }
  return createEd25519Backend('tweetnacl');
}

export async function ed25519PublicKeyFromSeed(seed: Uint8Array): Promise<Uint8Array> {
  return (await ed25519Backend()).publicKey(seed);
}

export async function ed25519Sign(seed: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  return (await ed25519Backend()).sign(seed, message);
}

/** False, never an exception, for bad lengths, malformed keys or wrong signatures. */
export async function ed25519Verify(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  return (await ed25519Backend()).verify(publicKey, message, signature);
}

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

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
