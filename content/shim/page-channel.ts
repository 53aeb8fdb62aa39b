// The shim's end of the private channel to the isolated content script: a
// MessageChannel whose second port is handed over in a window message at
// document_start, before any page script runs (the isolated script takes it
// and stops the message there), so no page script can read or forge the
// traffic.
//
// The two content scripts start in either order (bridge/page-handshake.ts):
// when this one runs first, its message can reach the window before the
// isolated script listens, and nobody takes the port. So a channel counts
// only once the isolated script says it took it; until then requests wait
// here, and the isolated script's announcement that it started makes this
// side offer a new channel. Only the first channel taken is used.
import {
  BRIDGE_READY_TYPE,
  CHANNEL_TAKEN_TYPE,
  HANDSHAKE_TYPE,
  isBridgeMessage,
  type ShimMessage,
} from '../../src/platform/web/client-wire.ts';
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
  const open = new Map<number, IncomingResponse>();
  let nextId = 1;
  /** The channel the isolated script took; until then messages wait in `waiting`. */
  let bridge: MessagePort | undefined;
  const waiting: [ShimMessage, Transferable[]][] = [];
  const offered: MessagePort[] = [];

  const take = (port: MessagePort) => {
    bridge = port;
    window.removeEventListener('message', onBridgeReady, true);
    for (const other of offered) if (other !== port) other.close();
    offered.length = 0;
    for (const [msg, transfer] of waiting.splice(0)) port.postMessage(msg, transfer);
  };
  const offer = () => {
    const { port1, port2 } = new MessageChannel();
    offered.push(port1);
    port1.onmessage = (event: MessageEvent<unknown>) => {
      const msg = event.data;
      if (bridge === undefined && isChannelTaken(msg)) take(port1);
      else if (bridge === port1 && isBridgeMessage(msg)) open.get(msg.id)?.receive(msg);
    };
    window.postMessage({ type: HANDSHAKE_TYPE }, window.location.origin, [port2]);
  };
  // The isolated script started after this one's offer went out: offer again.
  function onBridgeReady(event: MessageEvent) {
    const data = event.data as { type?: unknown } | null;
    if (event.source !== window || data?.type !== BRIDGE_READY_TYPE || bridge !== undefined) return;
    event.stopImmediatePropagation();
    offer();
  }
  window.addEventListener('message', onBridgeReady, true);
  offer();

  const post = (msg: ShimMessage, transfer: Transferable[] = []) => {
    if (bridge) bridge.postMessage(msg, transfer);
    else waiting.push([msg, transfer]);
  };

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

function isChannelTaken(msg: unknown): boolean {
  return typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === CHANNEL_TAKEN_TYPE;
}
