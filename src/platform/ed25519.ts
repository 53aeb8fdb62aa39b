// Ed25519 for the core (its port, src/core/protocol/ed25519.ts): the
// platform's WebCrypto (fast, native) where it has Ed25519 (Node 24,
// Chrome 137+, Firefox 129+, Safari 17+), tweetnacl (pure JS) elsewhere.
// chooseEd25519 picks once, by signing the RFC 8032 test vector; the bench
// forces each in turn.
//
// Measured with `node bench/run.ts protocol` (Node 24.21, 2 cores shared with
// other jobs, load 2-3, a 754-byte signed message event; ranges over runs):
//   WebCrypto, one at a time:  4,700-6,900 verifications/s, 10,000-12,000 signs/s
//   WebCrypto, 32 in flight:   10,000-15,000 verifications/s, 22,000-31,000 signs/s
//   tweetnacl:                 40-190 verifications/s, 57-310 signs/s
// WebCrypto verifies 40-120x faster one at a time and 65-380x batched, so
// tweetnacl is a last resort: too slow to catch up on a busy room's history.

import nacl from 'tweetnacl';
import { decodeBase64Url, decodeHex, type Ed25519, encodeHex } from '../core/protocol.ts';
import { BoundedCache } from '../core/public.ts';
import { type CryptoKeyLike, requireSubtle, type SubtleLike } from './webcrypto.ts';

export type Ed25519BackendKind = 'webcrypto' | 'tweetnacl';

export interface Ed25519Backend extends Ed25519 {
  readonly kind: Ed25519BackendKind;
}

export function createEd25519Backend(kind: Ed25519BackendKind): Ed25519Backend {
  const raw = kind === 'webcrypto' ? webCryptoBackend(requireSubtle('Ed25519')) : tweetnaclBackend();
  return {
    kind,
    publicKey: async (seed) => raw.publicKey(checkSeed(seed)),
    sign: async (seed, message) => raw.sign(checkSeed(seed), message),
    verify: raw.verify,
  };
}

// RFC 8032 §7.1, TEST 1: the empty message signed with this seed.
const PROBE_SEED = decodeHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const PROBE_PUBLIC_KEY = decodeHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
const PROBE_SIGNATURE = decodeHex(
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
);

let chosen: Promise<Ed25519Backend> | undefined;

/** WebCrypto when it signs and verifies the RFC 8032 vector correctly, else tweetnacl; chosen once per runtime. */
export function chooseEd25519(): Promise<Ed25519Backend> {
  chosen ??= detectBackend();
  return chosen;
}

async function detectBackend(): Promise<Ed25519Backend> {
  try {
    const webcrypto = createEd25519Backend('webcrypto');
    const empty = new Uint8Array(0);
    const signature = await webcrypto.sign(PROBE_SEED, empty);
    const verified = await webcrypto.verify(PROBE_PUBLIC_KEY, empty, PROBE_SIGNATURE);
    if (verified && encodeHex(signature) === encodeHex(PROBE_SIGNATURE)) return webcrypto;
  } catch {
    // No SubtleCrypto, or no Ed25519 in it (NotSupportedError): fall through.
  }
  return createEd25519Backend('tweetnacl');
}

type RawBackend = Ed25519;

function checkSeed(seed: Uint8Array): Uint8Array {
  if (seed.length !== 32) throw new RangeError(`an Ed25519 seed has 32 bytes, not ${seed.length}`);
  return seed;
}

/** PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410): WebCrypto cannot import a bare seed. */
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
const ED25519 = { name: 'Ed25519' };

function webCryptoBackend(subtle: SubtleLike): RawBackend {
  // Keyed by the hex of the key bytes. Seeds are few (our own server keys);
  // public keys are one per peer server seen.
  const signingKeys = new BoundedCache<string, Promise<CryptoKeyLike>>(32);
  const publicKeys = new BoundedCache<string, Promise<Uint8Array>>(32);
  const verifyKeys = new BoundedCache<string, Promise<CryptoKeyLike>>(1024);

  const signingKey = (seed: Uint8Array) =>
    cachedPromise(signingKeys, encodeHex(seed), () => {
      const pkcs8 = new Uint8Array(48);
      pkcs8.set(PKCS8_PREFIX);
      pkcs8.set(seed, 16);
      return subtle.importKey('pkcs8', pkcs8, ED25519, true, ['sign']);
    });
  // The last key verified with, compared byte by byte: a received
  // transaction's PDUs are mostly one server's, and the hex of its key for
  // the cache cost about 1.5 µs a signature on the main thread (issue 13).
  let last: { readonly bytes: Uint8Array; readonly key: Promise<CryptoKeyLike> } | undefined;
  const verifyKey = (publicKey: Uint8Array) => {
    if (last && sameBytes(last.bytes, publicKey)) return last.key;
    const key = cachedPromise(verifyKeys, encodeHex(publicKey), () =>
      subtle.importKey('raw', publicKey.slice(), ED25519, false, ['verify']),
    );
    // A failed import is not remembered here either (cachedPromise drops it).
    const entry = { bytes: publicKey.slice(), key };
    last = entry;
    key.catch(() => {
      if (last === entry) last = undefined;
    });
    return key;
  };

  return {
    publicKey: (seed) =>
      cachedPromise(publicKeys, encodeHex(seed), async () => {
        const jwk = await subtle.exportKey('jwk', await signingKey(seed));
        if (typeof jwk.x !== 'string')
          throw new Error('WebCrypto exported an Ed25519 key without its public part');
        return decodeBase64Url(jwk.x);
      }).then((key) => key.slice()),
    sign: async (seed, message) =>
      new Uint8Array(await subtle.sign(ED25519, await signingKey(seed), message)),
    verify: async (publicKey, message, signature) =>
      subtle.verify(ED25519, await verifyKey(publicKey), signature, message),
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Caches a promise; a rejected one is dropped so that the next call retries. */
function cachedPromise<T>(
  cache: BoundedCache<string, Promise<T>>,
  key: string,
  make: () => Promise<T>,
): Promise<T> {
  return cache.getOrSet(key, () => {
    const promise = make();
    promise.catch(() => cache.delete(key));
    return promise;
  });
}

function tweetnaclBackend(): RawBackend {
  // nacl's 64-byte secret key is seed + public key; deriving it costs a scalar multiplication.
  const secretKeys = new BoundedCache<string, Uint8Array>(32);
  const secretKey = (seed: Uint8Array) =>
    secretKeys.getOrSet(encodeHex(seed), () => nacl.sign.keyPair.fromSeed(seed).secretKey);
  return {
    publicKey: async (seed) => secretKey(seed).slice(32),
    sign: async (seed, message) => nacl.sign.detached(message, secretKey(seed)),
    verify: async (publicKey, message, signature) => nacl.sign.detached.verify(message, signature, publicKey),
  };
}
