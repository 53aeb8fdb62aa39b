// What the verifier Worker (verifier.ts) does with the MessagePorts the
// offscreen document gives it: it answers batches on the latest only. It
// serves the one service worker of the extension, which gets a fresh port
// each time it (re)connects to the document (offscreen.ts, verifier-offers.ts)
// and drops the one before (batching-ed25519.ts `attach`): the previous port
// is closed here too, so ports of stopped workers are not kept.
import type { Ed25519 } from '../../src/core/protocol.ts';
import type { RpcChannel } from '../../src/platform/web/port-rpc.ts';
import { isVerifyRequest, type VerifyReply } from '../../src/platform/web/verifier-wire.ts';
import { verifyBatch } from './verify-batch.ts';

/** The Worker's end of a MessagePort from a service worker: replies go out on it. */
export interface ServedPort extends RpcChannel {
  postMessage(reply: VerifyReply): void;
}

export function verifierService(ed25519: Promise<Ed25519>): { offer(port: ServedPort): void } {
  let current: ServedPort | undefined;
  return {
    offer(port) {
      if (current) {
        current.onmessage = null;
        current.close();
      }
      current = port;
      port.onmessage = async (request) => {
        if (!isVerifyRequest(request.data)) return;
        port.postMessage(await verifyBatch(await ed25519, request.data));
      };
    },
  };
}
