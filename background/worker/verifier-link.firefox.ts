// Firefox: signatures are checked in the event page itself. Firefox's
// WebCrypto runs each operation on a thread pool of its own (WebCryptoTask),
// not on the calling thread, so a Worker would add a hop and save nothing.
import type { Ed25519 } from '../../src/core/protocol.ts';

export function createVerifierLink(): (ed25519: Ed25519) => Ed25519 {
  return (ed25519) => ed25519;
}
