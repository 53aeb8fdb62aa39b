// The shim's end of the private channel to the isolated content script: a
// MessageChannel whose second port is handed over once, at document_start,
// before any page script runs (the isolated script takes it and stops the
// message there), so no page script can read or forge the traffic.
import { HANDSHAKE_TYPE, isBridgeMessage, type ShimMessage } from '../../src/platform/web/client-wire.ts';
import { abortReason, IncomingResponse, type ShimResponse } from './incoming-response.ts';

export type { ShimResponse } from './incoming-response.ts';

export interface ShimRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: ArrayBuffer | null;
}

export interface PageChannel {
  /**
   * Sends one request to the homeserver and resolves as soon as its status
   * and headers arrive; the body streams in after. Rejects with a TypeError
   * (what fetch throws on a network error) if it could not be completed, or
   * with the signal's reason if aborted. Aborting later, or cancelling the
   * body, stops the answer.
   */
  request(req: ShimRequest, signal?: AbortSignal): Promise<ShimResponse>;
}

export function openPageChannel(): PageChannel {
  const { port1, port2 } = new MessageChannel();
  window.postMessage({ type: HANDSHAKE_TYPE }, window.location.origin, [port2]);
  const open = new Map<number, IncomingResponse>();
  let nextId = 1;
  port1.onmessage = (event: MessageEvent<unknown>) => {
    const msg = event.data;
    if (isBridgeMessage(msg)) open.get(msg.id)?.receive(msg);
  };
  const post = (msg: ShimMessage, transfer: Transferable[] = []) => port1.postMessage(msg, transfer);

  return {
    request(req, signal) {
      return new Promise<ShimResponse>((resolve, reject) => {
        if (signal?.aborted) return reject(abortReason(signal));
        const id = nextId++;
        const hooks = {
          resolve,
          reject,
          abort: () => post({ type: 'abort', id }),
          finished: () => open.delete(id),
        };
        open.set(id, new IncomingResponse(hooks, signal));
        post({ type: 'request', id, ...req }, req.body ? [req.body] : []);
      });
    },
  };
}
