// Two interchangeable Ed25519 implementations: the platform's WebCrypto (fast,
// native) and tweetnacl (pure JS, for platforms whose WebCrypto lacks
// Ed25519). crypto.ts picks one at start-up; the bench forces each in turn.

import nacl from 'tweetnacl';
import { decodeBase64Url, encodeHex } from './base64.ts';
import { BoundedCache } from './bounded-cache.ts';
import { requireSubtle } from './webcrypto.ts';
import type { CryptoKeyLike, SubtleLike } from './webcrypto.ts';

export type Ed25519BackendKind = 'webcrypto' | 'tweetnacl';

/** Ed25519 over 32-byte seeds (private keys) and 32-byte public keys. */
export interface Ed25519Backend {
  readonly kind: Ed25519BackendKind;
  /** The public key of a seed; rejects with RangeError unless the seed has 32 bytes. */
  publicKey(seed: Uint8Array): Promise<Uint8Array>;
  /** A 64-byte signature; rejects with RangeError unless the seed has 32 bytes. */
  sign(seed: Uint8Array, message: Uint8Array): Promise<Uint8Array>;
  /** Never throws: bad lengths, malformed keys and non-canonical signatures give false. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

type RawBackend = Omit<Ed25519Backend, 'kind'>;

export function createEd25519Backend(kind: Ed25519BackendKind): Ed25519Backend {
  const raw = kind === 'webcrypto' ? webCryptoBackend(requireSubtle('Ed25519')) : tweetnaclBackend();
  return guarded(kind, raw);
}

/** Input checks shared by both backends, so that they agree on every edge case they can. */
function guarded(kind: Ed25519BackendKind, raw: RawBackend): Ed25519Backend {
  return {
    kind,
    publicKey: async (seed) => raw.publicKey(checkSeed(seed)),
    sign: async (seed, message) => raw.sign(checkSeed(seed), message),
    async verify(publicKey, message, signature) {
      if (publicKey.length !== 32 || signature.length !== 64 || !hasCanonicalScalar(signature)) return false;
      try {
        return await raw.verify(publicKey, message, signature);
      } catch {
        return false;
      }
    },
  };
}

function checkSeed(seed: Uint8Array): Uint8Array {
  if (seed.length !== 32) throw new RangeError(`an Ed25519 seed has 32 bytes, not ${seed.length}`);
  return seed;
}

/** Group order L, little-endian, as in RFC 8032 §5.1. */
const ORDER = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
]);

/**
 * RFC 8032 §5.1.7 requires S < L. OpenSSL (behind Node's and Chrome's
 * WebCrypto) checks it and tweetnacl does not; checking here keeps peers on
 * different backends from disagreeing about a crafted signature.
 */
function hasCanonicalScalar(signature: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const s = signature[32 + i]!;
    const l = ORDER[i]!;
    if (s !== l) return s < l;
  }
  return false;
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
  const verifyKey = (publicKey: Uint8Array) =>
    cachedPromise(verifyKeys, encodeHex(publicKey), () =>
      subtle.importKey('raw', publicKey.slice(), ED25519, false, ['verify']),
    );

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
