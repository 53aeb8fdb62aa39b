// Chrome's verifier Worker (verifier-wire.ts): checks batches of Ed25519
// signatures for the service worker, which cannot start Workers itself. The
// offscreen document starts this one and posts it one MessagePort per service
// worker connection (offscreen.ts, verifier-offers.ts), handing the other end to
// the service worker; the latest is served (verifier-service.ts). Signatures
// are checked with what chooseEd25519 picks (WebCrypto), as the service
// worker would.
import { chooseEd25519 } from '../../src/platform/ed25519.ts';
import { isVerifierOffer } from '../../src/platform/web/verifier-wire.ts';
import { verifierService } from './verifier-service.ts';

const service = verifierService(chooseEd25519());

globalThis.addEventListener('message', (evt: MessageEvent) => {
  const port = evt.ports[0];
  if (!port || !isVerifierOffer(evt.data)) return;
  service.offer(port);
});
