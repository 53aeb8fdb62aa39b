// Firefox: signatures are checked in the event page itself. Firefox's
// WebCrypto runs each operation on a thread pool of its own (WebCryptoTask),
// not on the calling thread, so a Worker would add a hop and save nothing.
import type { VerifierLink } from './verifier-link.ts';

export function createVerifierLink(): VerifierLink {
  return {
    // Never called: Firefox's node link (node-link.firefox.ts) has no offscreen
    // document to offer a port, and never calls onVerifierPort.
    offer: () => {},
    wrap: (ed25519) => ({ ed25519 }),
  };
}
