// Chrome: the homeserver's Ed25519 checks batches of signatures in the
// verifier Worker the offscreen document starts (batching-ed25519.ts,
// verifier-wire.ts). The document posts this worker a MessagePort to it each
// time it connects (offscreen.ts, verifier-offers.ts), so a restarted worker gets
// a fresh one; until then, and if the document never comes, every signature is
// checked here. The offer is taken where the node channel's are
// (offscreen-link.ts), which closes one from anywhere but the offscreen
// document: whoever holds the port answers which signatures are valid.
// The Firefox build swaps this file for verifier-link.firefox.ts.
import type { Ed25519 } from '../../src/core/protocol.ts';
import type { RpcChannel } from '../../src/platform/web/port-rpc.ts';
import { batchingEd25519 } from './batching-ed25519.ts';

export interface VerifierLink {
  /** A MessagePort to the verifier Worker, offered by the offscreen document; it replaces the one before (closed). */
  offer(port: RpcChannel): void;
  /**
   * Wraps the platform's Ed25519 (once, as the homeserver boots): batches of
   * checks go to the Worker, shared with this thread; `aside`'s all go there.
   */
  wrap(ed25519: Ed25519): WrappedEd25519;
}

/** The homeserver's Ed25519 and its `ed25519Aside` (src/core/homeserver.ts). */
export interface WrappedEd25519 {
  readonly ed25519: Ed25519;
  readonly aside?: Ed25519;
}

/** A port offered before the homeserver boots is attached at once: it is used from the first batch. */
export function createVerifierLink(): VerifierLink {
  const batching = batchingEd25519();
  return {
    offer: batching.attach,
    wrap: (ed25519) => ({ ed25519: batching.over(ed25519), aside: batching.aside(ed25519) }),
  };
}
