// The isolated script's runtime port to the background. Each response comes
// back as a stream (client-wire.ts: head, chunks, end) and is relayed to the
// page as it arrives, body bytes as transferred ArrayBuffers.
//
// What happens to requests in flight when the worker dies (Chrome stops idle
// workers; the port then disconnects):
// - a retryable request (retry-policy.ts) whose head has not reached the page
//   yet is sent again on a new port, which wakes the worker; at most
//   MAX_ATTEMPTS times;
// - a request whose head the page already has fails as a network error: the
//   page holds a Response whose body cannot be started over;
// - any other request fails as a network error, so the client never gets an
//   answer to a request that might have been applied only in part of its mind.
// While any request is open, its body included, a ping every 20 s keeps the
// worker alive: an open but silent port does not (measured: ../shared/TESTING.md).
//
// A request body larger than one chunk goes after the request in `body`
// messages (client-wire.ts), BODY_WINDOW at once and then one per `more`;
// a request sent again on a new port sends its body again from the start.
import type {
  BridgeMessage,
  ClientMessage,
  WireBytes,
  WireHead,
  WireRequest,
} from '../../src/platform/web/client-wire.ts';
import { BODY_WINDOW, CLIENT_PORT_NAME, isBackgroundMessage } from '../../src/platform/web/client-wire.ts';
import { bodyChunks } from '../../src/platform/web/body-chunks.ts';
import { ext } from '../../src/platform/web/ext-api.ts';
import { decodeWireBytes, encodeWireBytes } from '../../src/platform/web/hs-wire.ts';
import { isRetryable } from '../../src/platform/web/retry-policy.ts';

export const KEEPALIVE_INTERVAL_MS = 20_000;
const MAX_ATTEMPTS = 4;

interface InFlight {
  readonly request: WireRequest;
  /** The bytes of a streamed body (request.body is `{streamed}`). */
  readonly body: Uint8Array | undefined;
  /** The streamed body's pieces not sent yet on the current port. */
  pieces: Iterator<Uint8Array> | undefined;
  readonly retryable: boolean;
  attempts: number;
  /** The page has the status and headers: from now on the request can fail, never be sent again. */
  headDelivered: boolean;
}

export class BackgroundLink {
  readonly #reply: (msg: BridgeMessage, transfer?: Transferable[]) => void;
  readonly #inFlight = new Map<number, InFlight>();
  #port: chrome.runtime.Port | undefined;
  #keepAlive: ReturnType<typeof setInterval> | undefined;

  constructor(reply: (msg: BridgeMessage, transfer?: Transferable[]) => void) {
    this.#reply = reply;
  }

  /** Sends a request; `body` holds the bytes when request.body announces a streamed one. */
  send(id: number, request: WireRequest, body?: Uint8Array): void {
    const retryable = isRetryable(request.method, new URL(request.url).pathname);
    this.#inFlight.set(id, {
      request,
      body,
      pieces: undefined,
      retryable,
      attempts: 0,
      headDelivered: false,
    });
    this.#updateKeepAlive();
    this.#post(id);
  }

  /** The page gave up on the request, before its head or while its body streams. */
  abort(id: number): void {
    if (!this.#inFlight.delete(id)) return;
    this.#updateKeepAlive();
    this.#postRaw({ type: 'abort', id });
  }

  #post(id: number): void {
    const entry = this.#inFlight.get(id);
    if (!entry) return;
    entry.attempts++;
    if (!this.#postRaw({ type: 'request', id, request: entry.request })) {
      this.#fail(id, 'extension unavailable');
      return;
    }
    if (entry.body) {
      entry.pieces = bodyChunks(entry.body);
      this.#sendBody(id, entry, BODY_WINDOW);
    }
  }

  /** Sends up to `count` more pieces of the request's streamed body. */
  #sendBody(id: number, entry: InFlight, count: number): void {
    for (let i = 0; i < count && entry.pieces; i++) {
      const next = entry.pieces.next();
      if (next.done) {
        entry.pieces = undefined;
        return;
      }
      if (!this.#postRaw({ type: 'body', id, bytes: encodeWireBytes(next.value) })) return;
    }
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
      port.onMessage.addListener((msg: unknown) => this.#receive(msg));
      port.onDisconnect.addListener(() => this.#disconnected(port));
      this.#port = port;
      return port;
    } catch {
      // The extension was reloaded or removed: this script is orphaned.
      return undefined;
    }
  }

  /** Malformed messages, and messages for a request that is over or in another phase, are dropped. */
  #receive(msg: unknown): void {
    if (!isBackgroundMessage(msg) || msg.type === 'pong') return;
    const entry = this.#inFlight.get(msg.id);
    if (!entry) return;
    if (msg.type === 'more') this.#sendBody(msg.id, entry, 1);
    else if (msg.type === 'whole') this.#whole(msg.id, entry, msg);
    else if (msg.type === 'head') this.#head(msg.id, entry, msg);
    else if (msg.type === 'chunk') this.#chunk(msg.id, entry, msg.bytes);
    else if (msg.type === 'end') this.#end(msg.id, entry);
    else this.#fail(msg.id, msg.reason);
  }

  #head(id: number, entry: InFlight, head: WireHead): void {
    if (entry.headDelivered) return;
    entry.headDelivered = true;
    this.#reply({ type: 'head', id, status: head.status, headers: head.headers });
  }

  #whole(id: number, entry: InFlight, msg: WireHead & { readonly bytes: WireBytes }): void {
    if (entry.headDelivered) return;
    let bytes: Uint8Array;
    try {
      bytes = decodeWireBytes(msg.bytes);
    } catch {
      this.#fail(id, 'malformed response body');
      return;
    }
    entry.headDelivered = true;
    this.#inFlight.delete(id);
    this.#updateKeepAlive();
    const buffer = ownBuffer(bytes);
    this.#reply({ type: 'whole', id, status: msg.status, headers: msg.headers, bytes: buffer }, [buffer]);
  }

  #chunk(id: number, entry: InFlight, wire: WireBytes): void {
    if (!entry.headDelivered) return;
    let bytes: Uint8Array;
    try {
      bytes = decodeWireBytes(wire);
    } catch {
      // Malformed base64: the body can no longer be whole.
      this.#fail(id, 'malformed response body');
      this.#postRaw({ type: 'abort', id });
      return;
    }
    const buffer = ownBuffer(bytes);
    this.#reply({ type: 'chunk', id, bytes: buffer }, [buffer]);
  }

  #end(id: number, entry: InFlight): void {
    if (!entry.headDelivered) return;
    this.#inFlight.delete(id);
    this.#updateKeepAlive();
    this.#reply({ type: 'end', id });
  }

  #disconnected(port: chrome.runtime.Port): void {
    void ext.runtime.lastError; // read, so that the browser does not log it as unchecked
    if (this.#port === port) this.#port = undefined;
    for (const [id, entry] of [...this.#inFlight]) {
      if (!entry.headDelivered && entry.retryable && entry.attempts < MAX_ATTEMPTS) this.#post(id);
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

/** An ArrayBuffer holding exactly `bytes`, to be transferred to the page. */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  if (
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
  )
    return bytes.buffer;
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
