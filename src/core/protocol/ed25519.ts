// Ed25519 (RFC 8032) as the protocol library uses it: 32-byte seeds (private
// keys) and public keys, 64-byte signatures. The implementation is a port
// (src/core/ports.ts): each composition root passes the platform's
// (src/platform/ed25519.ts: WebCrypto where it has Ed25519, tweetnacl
// elsewhere), so the core holds no crypto global and a test can pass its own.
// What the protocol must agree on whatever the implementation (lengths, the
// canonical-scalar rule) is checked here, once, in verifyEd25519.

export interface Ed25519 {
  /** The public key of a seed; rejects with RangeError unless the seed has 32 bytes. */
  publicKey(seed: Uint8Array): Promise<Uint8Array>;
  /** A 64-byte signature; rejects with RangeError unless the seed has 32 bytes. */
  sign(seed: Uint8Array, message: Uint8Array): Promise<Uint8Array>;
  /**
   * May throw on malformed keys; callers go through verifyEd25519. The
   * arguments must stay unchanged until the promise settles: an
   * implementation may read them at any point before then (WebCrypto's reads
   * the signature and message only once the key is imported, after an
   * await; the extension's batching wrapper packs them after the caller's
   * task). The core's callers pass arrays they never write again.
   */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

/**
 * One signing key of one entity (a server's `ed25519:p2p`, a device's key):
 * what signJson and signEvent need, without handing them the seed's owner.
 */
export interface Signer {
  /** The entity the signature is filed under in `signatures` (a server name or a user id). */
  readonly name: string;
  readonly keyId: string;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

export function ed25519Signer(ed25519: Ed25519, name: string, keyId: string, seed: Uint8Array): Signer {
  return { name, keyId, sign: (message) => ed25519.sign(seed, message) };
}

/**
 * False, never an exception, for bad lengths, malformed keys, non-canonical
 * or wrong signatures. RFC 8032 §5.1.7 requires S < L; OpenSSL (behind
 * Node's and Chrome's WebCrypto) checks it and tweetnacl does not, so it is
 * checked here: peers on different implementations must not disagree about a
 * crafted signature.
 */
export async function verifyEd25519(
  ed25519: Ed25519,
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (publicKey.length !== 32 || signature.length !== 64 || !hasCanonicalScalar(signature)) return false;
  try {
    return await ed25519.verify(publicKey, message, signature);
  } catch {
    return false;
  }
}

/** Group order L, little-endian, as in RFC 8032 §5.1. */
const ORDER = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
]);

function hasCanonicalScalar(signature: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const s = signature[32 + i]!;
    const l = ORDER[i]!;
    if (s !== l) return s < l;
  }
  return false;
}
