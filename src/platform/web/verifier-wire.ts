// Chrome: Ed25519 verifications handed from the service worker to a
// dedicated Worker (background/verifier/verifier.ts). Chrome runs WebCrypto's
// Ed25519 verify synchronously on the calling thread, so a transaction's
// worth of signatures (about 80 us each) held the service worker's one
// thread; a Worker checks them beside it. Service workers cannot start
// Workers, so the offscreen document starts it and posts the service worker
// a MessagePort to it with a `VerifierOffer` (background/worker/offscreen-link.ts
// takes it, verifier-link.ts hands it to batching-ed25519.ts, which uses it).

/** The Worker's script, at the top of the extension (scripts/build.ts). */
export const VERIFIER_SCRIPT = 'verifier.js';

export const VERIFIER_CHANNEL = 'p2pm-verifier-channel';

/** Posted with a MessagePort to the verifier: to the service worker by the offscreen document, and to the Worker. */
export interface VerifierOffer {
  readonly kind: typeof VERIFIER_CHANNEL;
}

export function isVerifierOffer(message: unknown): message is VerifierOffer {
  return (message as Partial<VerifierOffer> | null)?.kind === VERIFIER_CHANNEL;
}

export interface VerifyItem {
  readonly publicKey: Uint8Array;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
}

export const PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;

/**
 * A batch to check, on the port, packed into one buffer that is transferred,
 * not copied: each item's public key (32 bytes), signature (64) and message
 * (`messageLengths[i]` bytes), one after the other. Sent as separate arrays,
 * each message would be cloned with the whole buffer it is a view of (a
 * profile showed 276 ms of postMessage for 5,000 checks).
 */
export interface VerifyRequest {
  readonly id: number;
  readonly messageLengths: readonly number[];
  readonly bytes: Uint8Array;
}

/** `items` must have 32-byte keys and 64-byte signatures. */
export function packBatch(id: number, items: readonly VerifyItem[]): VerifyRequest {
  let size = 0;
  for (const item of items) size += PUBLIC_KEY_BYTES + SIGNATURE_BYTES + item.message.length;
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const { publicKey, signature, message } of items) {
    bytes.set(publicKey, at);
    bytes.set(signature, at + PUBLIC_KEY_BYTES);
    bytes.set(message, at + PUBLIC_KEY_BYTES + SIGNATURE_BYTES);
    at += PUBLIC_KEY_BYTES + SIGNATURE_BYTES + message.length;
  }
  return { id, messageLengths: items.map((item) => item.message.length), bytes };
}

/** The items of a packed batch (views into its buffer), or undefined if it does not add up. */
export function unpackBatch({ messageLengths, bytes }: VerifyRequest): VerifyItem[] | undefined {
  const items: VerifyItem[] = [];
  let at = 0;
  for (const length of messageLengths) {
    const end = at + PUBLIC_KEY_BYTES + SIGNATURE_BYTES + length;
    if (!Number.isInteger(length) || length < 0 || end > bytes.length) return undefined;
    items.push({
      publicKey: bytes.subarray(at, at + PUBLIC_KEY_BYTES),
      signature: bytes.subarray(at + PUBLIC_KEY_BYTES, at + PUBLIC_KEY_BYTES + SIGNATURE_BYTES),
      message: bytes.subarray(at + PUBLIC_KEY_BYTES + SIGNATURE_BYTES, end),
    });
    at = end;
  }
  return at === bytes.length ? items : undefined;
}

/** The answer to a VerifyRequest: one result per item, in order; true only for a signature checked valid. */
export interface VerifyReply {
  readonly id: number;
  readonly results: readonly boolean[];
}

export function isVerifyRequest(message: unknown): message is VerifyRequest {
  const m = message as Partial<VerifyRequest> | null;
  return typeof m?.id === 'number' && Array.isArray(m.messageLengths) && m.bytes instanceof Uint8Array;
}

/** With `count`: only a reply to a batch of that many, with a boolean for each. */
export function isVerifyReply(message: unknown, count?: number): message is VerifyReply {
  const m = message as Partial<VerifyReply> | null;
  if (typeof m?.id !== 'number' || !Array.isArray(m.results)) return false;
  if (count === undefined) return true;
  return m.results.length === count && m.results.every((r) => typeof r === 'boolean');
}
