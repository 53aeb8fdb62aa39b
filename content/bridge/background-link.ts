// The isolated script's runtime port to the background, and what happens to
// requests in flight when the worker dies (Chrome stops idle workers; the
// port then disconnects):
// - a retryable request (retry-policy.ts) is sent again on a new port, which
//   wakes the worker; at most MAX_ATTEMPTS times;
// - any other request fails as a network error, so the client never gets an
//   answer to a request that might have been applied only in part of its mind.
// While any request is open, a ping every 20 s keeps the worker alive: an open
// but silent port does not (measured: ../shared/TESTING.md).
import type {
  BackgroundMessage,
  BridgeMessage,
  ClientMessage,
  WireRequest,
} from '../../src/platform/web/client-wire.ts';
import { CLIENT_PORT_NAME } from '../../src/platform/web/client-wire.ts';
import { ext } from '../../src/platform/web/ext-api.ts';
import { decodeWireBody } from '../../src/platform/web/hs-wire.ts';
import { isRetryable } from '../../src/platform/web/retry-policy.ts';

export const KEEPALIVE_INTERVAL_MS = 20_000;
const MAX_ATTEMPTS = 4;

interface InFlight {
  readonly request: WireRequest;
  readonly retryable: boolean;
  attempts: number;
}

export class BackgroundLink {
  readonly #reply: (msg: BridgeMessage, transfer?: Transferable[]) => void;
  readonly #inFlight = new Map<number, InFlight>();
  #port: chrome.runtime.Port | undefined;
  #keepAlive: ReturnType<typeof setInterval> | undefined;

  constructor(reply: (msg: BridgeMessage, transfer?: Transferable[]) => void) {
    this.#reply = reply;
  }

  send(id: number, request: WireRequest): void {
    const retryable = isRetryable(request.method, new URL(request.url).pathname);
    this.#inFlight.set(id, { request, retryable, attempts: 0 });
    this.#updateKeepAlive();
    this.#post(id);
  }

  abort(id: number): void {
    if (!this.#inFlight.delete(id)) return;
    this.#updateKeepAlive();
    this.#postRaw({ type: 'abort', id });
  }

  #post(id: number): void {
    const entry = this.#inFlight.get(id);
    if (!entry) return;
    entry.attempts++;
    if (!this.#postRaw({ type: 'request', id, request: entry.request }))
      this.#fail(id, 'extension unavailable');
  }

  #postRaw(msg: ClientMessage): boolean {
    const port = this.#connect();
    if (!port) return false;
    try {
      port.postMessage(msg);
      return true;
    } catch {
      return false;
    }
  }

  #connect(): chrome.runtime.Port | undefined {
    if (this.#port) return this.#port;
    try {
      const port = ext.runtime.connect({ name: CLIENT_PORT_NAME });
      port.onMessage.addListener((msg: BackgroundMessage) => this.#receive(msg));
      port.onDisconnect.addListener(() => this.#disconnected(port));
      this.#port = port;
      return port;
    } catch {
      // The extension was reloaded or removed: this script is orphaned.
      return undefined;
    }
  }

  #receive(msg: BackgroundMessage): void {
    if (msg.type !== 'response' || !this.#inFlight.delete(msg.id)) return;
    this.#updateKeepAlive();
    const body = msg.response.body;
    if (body !== null && 'base64' in body) {
      const bytes = decodeWireBody(body)!;
      const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      this.#reply({ type: 'response', id: msg.id, ...msg.response, body: buffer }, [buffer]);
    } else {
      this.#reply({ type: 'response', id: msg.id, ...msg.response, body: body?.text ?? null });
    }
  }

  #disconnected(port: chrome.runtime.Port): void {
    void ext.runtime.lastError; // read, so that the browser does not log it as unchecked
    if (this.#port === port) this.#port = undefined;
    for (const [id, entry] of [...this.#inFlight]) {
      if (entry.retryable && entry.attempts < MAX_ATTEMPTS) this.#post(id);
      else this.#fail(id, 'the extension stopped while answering');
    }
  }

  #fail(id: number, reason: string): void {
    if (!this.#inFlight.delete(id)) return;
    this.#updateKeepAlive();
    this.#reply({ type: 'failed', id, reason });
  }

  #updateKeepAlive(): void {
    if (this.#inFlight.size > 0 && this.#keepAlive === undefined) {
      this.#keepAlive = setInterval(() => this.#port?.postMessage({ type: 'ping' }), KEEPALIVE_INTERVAL_MS);
    } else if (this.#inFlight.size === 0 && this.#keepAlive !== undefined) {
      clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
    }
  }
}
