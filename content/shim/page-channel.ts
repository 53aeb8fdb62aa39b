// The shim's end of the private channel to the isolated content script: a
// MessageChannel whose second port is handed over once, at document_start,
// before any page script runs (the isolated script takes it and stops the
// message there), so no page script can read or forge the traffic.
import { type BridgeMessage, HANDSHAKE_TYPE, type ShimMessage } from '../../src/platform/web/client-wire.ts';

export interface ShimRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: ArrayBuffer | null;
}

export interface ShimResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | ArrayBuffer | null;
}

export interface PageChannel {
  /**
   * Sends one request to the homeserver. Rejects with a TypeError (what
   * fetch throws on a network error) if it could not be completed, or with
   * the signal's reason if aborted.
   */
  request(req: ShimRequest, signal?: AbortSignal): Promise<ShimResponse>;
}

interface Waiter {
  resolve(res: ShimResponse): void;
  reject(err: unknown): void;
}

export function openPageChannel(): PageChannel {
  const { port1, port2 } = new MessageChannel();
  window.postMessage({ type: HANDSHAKE_TYPE }, window.location.origin, [port2]);
  const waiting = new Map<number, Waiter>();
  let nextId = 1;
  port1.onmessage = (event: MessageEvent<BridgeMessage>) => {
    const msg = event.data;
    const waiter = waiting.get(msg.id);
    if (!waiter) return;
    waiting.delete(msg.id);
    if (msg.type === 'response') waiter.resolve(msg);
    else waiter.reject(new TypeError(`Failed to fetch (${msg.reason})`));
  };
  const post = (msg: ShimMessage, transfer: Transferable[] = []) => port1.postMessage(msg, transfer);

  return {
    request(req, signal) {
      return new Promise<ShimResponse>((resolve, reject) => {
        if (signal?.aborted) return reject(abortReason(signal));
        const id = nextId++;
        const onAbort = () => {
          waiting.delete(id);
          post({ type: 'abort', id });
          reject(abortReason(signal!));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        const settle = () => signal?.removeEventListener('abort', onAbort);
        waiting.set(id, {
          resolve: (res) => {
            settle();
            resolve(res);
          },
          reject: (err) => {
            settle();
            reject(err);
          },
        });
        post({ type: 'request', id, ...req }, req.body ? [req.body] : []);
      });
    },
  };
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}
