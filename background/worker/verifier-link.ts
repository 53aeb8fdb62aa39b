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
import { batchingEd25519, type VerifierPort } from './batching-ed25519.ts';

export interface VerifierLink {
  /** A MessagePort to the verifier Worker, offered by the offscreen document; it replaces the one before. */
  offer(port: RpcChannel): void;
  /** Wraps the platform's Ed25519 (once, as the homeserver boots): batches of checks go to the Worker. */
  wrap(ed25519: Ed25519): Ed25519;
}

export function createVerifierLink(): VerifierLink {
  let batching: ReturnType<typeof batchingEd25519> | undefined;
  /** The latest port offered before the homeserver booted. */
  let offered: VerifierPort | undefined;
  return {
    offer(port) {
      // A MessagePort: its onmessage is given `{ data }` events as VerifierPort says.
      const verifierPort = port as unknown as VerifierPort;
      if (batching) batching.attach(verifierPort);
      else {
        offered?.close();
        offered = verifierPort;
      }
    },
    wrap(ed25519) {
      batching = batchingEd25519(ed25519);
      if (offered) batching.attach(offered);
      offered = undefined;
      return batching.ed25519;
    },
  };
}
