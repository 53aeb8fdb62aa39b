// The slice of WebCrypto the platform's Ed25519 and PBKDF2 use, typed
// structurally so that one file serves the DOM typings (the extension) and
// Node's alike. Node 24 and the browsers provide it.

export interface CryptoKeyLike {
  readonly type: string;
}

export interface AlgorithmLike {
  readonly name: string;
}

export interface SubtleLike {
  importKey(
    format: 'raw' | 'pkcs8',
    keyData: Uint8Array,
    algorithm: AlgorithmLike,
    extractable: boolean,
    usages: string[],
  ): Promise<CryptoKeyLike>;
  exportKey(format: 'jwk', key: CryptoKeyLike): Promise<{ x?: string }>;
  sign(algorithm: AlgorithmLike, key: CryptoKeyLike, data: Uint8Array): Promise<ArrayBuffer>;
  verify(
    algorithm: AlgorithmLike,
    key: CryptoKeyLike,
    signature: Uint8Array,
    data: Uint8Array,
  ): Promise<boolean>;
  digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer>;
  /** PBKDF2 (password hashing). */
  deriveBits(
    algorithm: { name: 'PBKDF2'; hash: 'SHA-256'; salt: Uint8Array; iterations: number },
    key: CryptoKeyLike,
    length: number,
  ): Promise<ArrayBuffer>;
}

interface CryptoLike {
  subtle?: SubtleLike;
}

/** Thrown when the platform lacks a WebCrypto feature the library cannot do without. */
export class CryptoUnavailableError extends Error {
  override readonly name = 'CryptoUnavailableError';
}

// `as`: under the DOM typings (the extension's tsconfig) WebCrypto's signatures
// ask for ArrayBuffer-backed views; every Uint8Array the core passes is one.
const platformCrypto = (typeof crypto === 'object' ? crypto : undefined) as CryptoLike | undefined;

/** SubtleCrypto, or undefined (insecure browser contexts and very old runtimes have none). */
export function findSubtle(): SubtleLike | undefined {
  return platformCrypto?.subtle;
}

/** SubtleCrypto, or a CryptoUnavailableError naming what was needed. */
export function requireSubtle(purpose: string): SubtleLike {
  const subtle = findSubtle();
  if (!subtle) throw new CryptoUnavailableError(`WebCrypto SubtleCrypto is required for ${purpose}`);
  return subtle;
}
