// Signing JSON objects (spec: appendices, "Signing JSON") and the P2P naming
// of servers: a server's name is the lower-case hex of its Ed25519 public
// key, so anyone can verify its signatures without fetching keys.

import { decodeBase64, decodeHex, encodeBase64, encodeHex } from './base64.ts';
import { BoundedCache } from './bounded-cache.ts';
import { canonicalJson } from './canonical-json.ts';
import { type Ed25519, type Signer, verifyEd25519 } from './ed25519.ts';
import { isJsonObject } from './types.ts';
import { utf8Encode } from './utf8.ts';

/** The key id every P2P server signs with. */
export const P2P_KEY_ID = 'ed25519:p2p';

export type Signatures = Record<string, Record<string, string>>;

/**
 * Returns a copy of `object` with `signatures[signer.name][signer.keyId]` added.
 * Spec steps: drop `signatures` and `unsigned`, sign the canonical JSON of the
 * rest, then put both back (other signatures are kept).
 */
export async function signJson<T extends object>(
  object: T,
  signer: Signer,
): Promise<T & { signatures: Signatures }> {
  const signature = await signer.sign(signedBytes(object));
  const existing = signaturesOf(object);
  const ours = existing[signer.name];
  const kept = typeof ours === 'object' && ours !== null ? ours : {};
  const signatures: Signatures = {
    ...existing,
    [signer.name]: { ...kept, [signer.keyId]: encodeBase64(signature) },
  };
  return { ...object, signatures };
}

/**
 * Checks `signatures[serverName][keyId]` (spec: "Checking for a Signature").
 * False, never an exception, when the signature is missing, not base64, or
 * the object cannot be encoded as canonical JSON.
 */
export async function verifyJson(
  ed25519: Ed25519,
  object: object,
  serverName: string,
  keyId: string,
  publicKey: Uint8Array,
): Promise<boolean> {
  const encoded = signaturesOf(object)[serverName]?.[keyId];
  if (typeof encoded !== 'string') return false;
  let signature: Uint8Array;
  let message: Uint8Array;
  try {
    signature = decodeBase64(encoded);
    message = signedBytes(object);
  } catch {
    return false;
  }
  return verifyEd25519(ed25519, publicKey, message, signature);
}

/** Canonical JSON bytes of `object` without `signatures` and `unsigned`: what a signature covers. */
export function signedBytes(object: object): Uint8Array {
  const { signatures: _signatures, unsigned: _unsigned, ...rest } = object as Record<string, unknown>;
  return utf8Encode(canonicalJson(rest));
}

/** The `signatures` member if it is an object; anything else counts as no signatures. */
export function signaturesOf(object: object): Signatures {
  const signatures = (object as { signatures?: unknown }).signatures;
  return isJsonObject(signatures) ? (signatures as Signatures) : {};
}

const HEX_SERVER_NAME = /^[0-9a-f]{64}$/;

/** The Ed25519 public key a P2P server name stands for; undefined for any other name. */
export function publicKeyFromServerName(serverName: string): Uint8Array | undefined {
  return HEX_SERVER_NAME.test(serverName) ? decodeHex(serverName) : undefined;
}

/**
 * Keys of the server names seen last, shared: each received PDU's signature
 * check needs its sender's key, and the test and decoding of the name cost
 * about 2 µs a PDU on the main thread (issue 13). A peer can name at most
 * this many servers before older ones are decoded again.
 */
const SERVER_KEYS = new BoundedCache<string, Uint8Array | null>(1024);

/**
 * publicKeyFromServerName, the same array for the same name while it is
 * remembered: for verifying only (Ed25519.verify never writes its arguments),
 * never to be written or handed on.
 */
export function verifyingKeyOf(serverName: string): Uint8Array | undefined {
  return SERVER_KEYS.getOrSet(serverName, () => publicKeyFromServerName(serverName) ?? null) ?? undefined;
}

/** The server name of a public key: 64 lower-case hex characters. */
export function serverNameFromPublicKey(publicKey: Uint8Array): string {
  if (publicKey.length !== 32)
    throw new RangeError(`an Ed25519 public key has 32 bytes, not ${publicKey.length}`);
  return encodeHex(publicKey);
}
