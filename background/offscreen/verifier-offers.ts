// The offscreen document's side of the verifier Worker (verifier-wire.ts):
// it starts the Worker (service workers cannot) and, each time the service
// worker connects, gives the two of them a MessageChannel (offscreen.ts wires
// the browser's parts). The Worker's end is posted to it only once the
// service worker's end went out: with no active service worker it is closed
// here, not left with the Worker. A Worker that fails is terminated before it
// is forgotten, so that the next offer cannot leave a second one running
// beside it.
import type { Logger } from '../../src/core/public.ts';
import type { RpcChannel } from '../../src/platform/web/port-rpc.ts';
import { VERIFIER_CHANNEL, type VerifierOffer } from '../../src/platform/web/verifier-wire.ts';

/** One end of a MessageChannel (the part used). */
export type ChannelEnd = Pick<RpcChannel, 'close'>;

/** The verifier Worker (the part used). */
export interface VerifierWorker {
  postMessage(offer: VerifierOffer, transfer: ChannelEnd[]): void;
  terminate(): void;
}

export interface VerifierOffersDeps<End extends ChannelEnd> {
  /** Starts the Worker; `onError` is called on its `error` event. */
  readonly start: (onError: (message: string) => void) => VerifierWorker;
  readonly channel: () => { readonly port1: End; readonly port2: End };
  /** Posts `offer` with `port` to the active service worker; false (and `port` closed) when there is none. */
  readonly toServiceWorker: (offer: VerifierOffer, port: End) => Promise<boolean>;
  readonly logger: Logger;
}

/**
 * `offer()`: a channel to the Worker for the service worker that just
 * connected; settles once both ends went where they go (or were closed).
 */
export function verifierOffers<End extends ChannelEnd>(
  deps: VerifierOffersDeps<End>,
): { offer(): Promise<void> } {
  const { logger } = deps;
  let worker: VerifierWorker | undefined;
  /** The Worker, started on first use and again after it failed. */
  const running = (): VerifierWorker => {
    if (worker) return worker;
    const started = deps.start((message) => {
      logger.warn('the verifier Worker failed', { error: message });
      started.terminate();
      if (worker === started) worker = undefined;
    });
    worker = started;
    return started;
  };
  return {
    async offer() {
      try {
        running();
      } catch (err) {
        // Without one the service worker checks its signatures itself (batching-ed25519.ts).
        logger.warn('the verifier Worker could not start', { error: String(err) });
        return;
      }
      const offer: VerifierOffer = { kind: VERIFIER_CHANNEL };
      const { port1, port2 } = deps.channel();
      if (!(await deps.toServiceWorker(offer, port2))) {
        port1.close();
        return;
      }
      try {
        running().postMessage(offer, [port1]);
      } catch (err) {
        // One that failed during the await was replaced (running() started another), and that one could not
        // start, or the post threw: the service worker's batches time out (batching-ed25519.ts).
        logger.warn('the verifier Worker could not start', { error: String(err) });
        port1.close();
      }
    },
  };
}
