// Chrome: the homeserver's Ed25519 checks batches of signatures in the
// verifier Worker the offscreen document starts (batching-ed25519.ts,
// verifier-wire.ts). The document posts this worker a MessagePort to it each
// time it connects (offscreen.ts `offerVerifier`), so a restarted worker gets
// a fresh one; until then, and if the document never comes, every signature is
// checked here. An offer from anywhere but the offscreen document is closed:
// whoever holds the port answers which signatures are valid.
// The Firefox build swaps this file for verifier-link.firefox.ts.
import type { Ed25519 } from '../../src/core/protocol.ts';
import { ext } from '../../src/platform/web/ext-api.ts';
import { OFFSCREEN_PAGE } from '../../src/platform/web/node-wire.ts';
import { isVerifierOffer } from '../../src/platform/web/verifier-wire.ts';
import { batchingEd25519, type VerifierPort } from './batching-ed25519.ts';

/** Registers the worker's `message` listener: call at the worker's top level. */
export function createVerifierLink(): (ed25519: Ed25519) => Ed25519 {
  const offscreenUrl = ext.runtime.getURL(OFFSCREEN_PAGE);
  let batching: ReturnType<typeof batchingEd25519> | undefined;
  let offered: VerifierPort | undefined;
  globalThis.addEventListener('message', (evt: MessageEvent) => {
    const port = evt.ports[0];
    if (!port || !isVerifierOffer(evt.data)) return;
    if ((evt.source as { url?: string } | null)?.url !== offscreenUrl) {
      port.close();
      return;
    }
    const verifierPort = port as unknown as VerifierPort;
    if (batching) batching.attach(verifierPort);
    else {
      offered?.close();
      offered = verifierPort;
    }
  });
  return (ed25519) => {
    batching = batchingEd25519(ed25519);
    if (offered) batching.attach(offered);
    offered = undefined;
    return batching.ed25519;
  };
}
