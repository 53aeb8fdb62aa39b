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
//
// Where the worker offers a client channel on the port (client-wire.ts;
// Chrome), the link opens it through the bridge page (`ChannelBridge`) and,
// once the worker says `channel-open`, sends its new requests there; each
// request's body and abort follow it on the carrier it went on, and only its
// answer from that carrier counts. The port stays for the pings and for its
// disconnect, which ends the channel too: a request sent again goes on the
// new port, and the next offer opens a new channel.
import type {
  BackgroundMessage,
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
/**
 * A request sent on the client channel pings the port too when nothing went
 * on the port for this long: the worker's idle timer counts extension
 * messages, not MessagePort ones, and a page whose requests all go on the
 * channel must keep the worker as awake as its requests on the port did
 * (Chrome stops a worker 30 s after its last extension event).
 */
export const CHANNEL_TOUCH_MS = 10_000;
const MAX_ATTEMPTS = 4;

/** Where a request's messages go: the runtime port, or the client channel. */
type Carrier = Pick<chrome.runtime.Port, 'postMessage'>;

/**
 * Gets `port` (the worker's end of a new client channel) to the worker with
 * the token the worker offered, through the bridge page; returns what tidies
 * up after it (the bridge page's frame), called once the channel is open or
 * the port is gone (client-bridge-frame.ts).
 */
export type ChannelBridge = (token: string, port: MessagePort) => () => void;

interface InFlight {
  readonly request: WireRequest;
  /** What the request was last sent on: its body, its abort and its answer use it. */
  carrier: Carrier | undefined;
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
  #keepAlive: ReturnType<typeof setTimeout> | undefined;
  readonly #bridge: ChannelBridge | undefined;
  /** The client channel, once the worker said it is open; it ends with the port. */
  #channel: MessagePort | undefined;
  /** A channel handed to the bridge, not open yet, and how to tidy up after it. */
  #opening: { readonly port: MessagePort; readonly tidy: () => void } | undefined;
  /** When a message last went on the port (Date.now()). */
  #portTouched = 0;

  constructor(reply: (msg: BridgeMessage, transfer?: Transferable[]) => void, bridge?: ChannelBridge) {
    this.#reply = reply;
    this.#bridge = bridge;
  }

  /** Sends a request; `body` holds the bytes when request.body announces a streamed one. */
  send(id: number, request: WireRequest, body?: Uint8Array): void {
    const retryable = isRetryable(request.method, new URL(request.url).pathname);
    this.#inFlight.set(id, {
      request,
      carrier: undefined,
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
    const entry = this.#inFlight.get(id);
    if (!entry) return;
    this.#inFlight.delete(id);
    this.#updateKeepAlive();
    this.#postRaw({ type: 'abort', id }, entry.carrier);
  }

  #post(id: number): void {
    const entry = this.#inFlight.get(id);
    if (!entry) return;
    entry.attempts++;
    const port = this.#connect();
    entry.carrier = port && (this.#channel ?? port);
    if (entry.carrier !== port && Date.now() - this.#portTouched >= CHANNEL_TOUCH_MS)
      this.#postRaw({ type: 'ping' }, port);
    if (!this.#postRaw({ type: 'request', id, request: entry.request }, entry.carrier)) {
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
      if (!this.#postRaw({ type: 'body', id, bytes: encodeWireBytes(next.value) }, entry.carrier)) return;
    }
  }

  #postRaw(msg: ClientMessage, carrier: Carrier | undefined): boolean {
    if (!carrier) return false;
    try {
      carrier.postMessage(msg);
      if (carrier === this.#port) this.#portTouched = Date.now();
      return true;
    } catch {
      return false;
    }
  }

  #connect(): chrome.runtime.Port | undefined {
    if (this.#port) return this.#port;
    try {
      const port = ext.runtime.connect({ name: CLIENT_PORT_NAME });
      port.onMessage.addListener((msg: unknown) => this.#receive(msg, port));
      port.onDisconnect.addListener(() => this.#disconnected(port));
      this.#port = port;
      return port;
    } catch {
      // The extension was reloaded or removed: this script is orphaned.
      return undefined;
    }
  }

  /**
   * Malformed messages, and messages for a request that is over, in another
   * phase or on another carrier, are dropped.
   */
  #receive(msg: unknown, carrier: Carrier): void {
    if (!isBackgroundMessage(msg) || msg.type === 'pong') return;
    if (msg.type === 'channel') this.#openChannel(msg.token, carrier);
    else if (msg.type === 'channel-open') this.#channelOpened(carrier);
    else this.#forRequest(msg, carrier);
  }

  /** A message about one request: dropped unless it is in flight and the message came on its carrier. */
  #forRequest(
    msg: Exclude<BackgroundMessage, { readonly type: 'pong' | 'channel' | 'channel-open' }>,
    carrier: Carrier,
  ): void {
    const entry = this.#inFlight.get(msg.id);
    if (!entry || entry.carrier !== carrier) return;
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
      this.#postRaw({ type: 'abort', id }, entry.carrier);
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

  /** The worker offered a channel on the port: hand one to the bridge, unless one is open or opening. */
  #openChannel(token: string, from: Carrier): void {
    if (!this.#bridge || from !== this.#port || this.#channel || this.#opening) return;
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = (evt: MessageEvent<unknown>) => this.#receive(evt.data, port1);
    try {
      this.#opening = { port: port1, tidy: this.#bridge(token, port2) };
    } catch {
      // No frame could be made (a document going away): the requests stay on the port.
      port1.close();
      port2.close();
    }
  }

  #channelOpened(carrier: Carrier): void {
    const opening = this.#opening;
    if (opening?.port !== carrier) return;
    this.#opening = undefined;
    this.#channel = opening.port;
    opening.tidy();
  }

  /**
   * The worker is gone (or let this page go): so are the port and the
   * channel. Each request that went on either is sent again on a new port if
   * it may be, and fails otherwise. With a channel, that waits for a task:
   * answers the worker posted on the channel before it stopped may still be
   * queued behind the port's disconnect (two pipes keep no order between
   * them), and a request they finish must not fail, nor be sent again.
   * Requests sent meanwhile go on a new port.
   */
  #disconnected(port: chrome.runtime.Port): void {
    void ext.runtime.lastError; // read, so that the browser does not log it as unchecked
    if (this.#port !== port) return;
    this.#port = undefined;
    const channel = this.#channel;
    this.#channel = undefined;
    if (this.#opening) {
      this.#opening.port.close();
      this.#opening.tidy();
      this.#opening = undefined;
    }
    const settle = () => {
      channel?.close();
      for (const [id, entry] of [...this.#inFlight]) {
        if (entry.carrier !== port && entry.carrier !== channel) continue;
        if (!entry.headDelivered && entry.retryable && entry.attempts < MAX_ATTEMPTS) this.#post(id);
        else this.#fail(id, 'the extension stopped while answering');
      }
    };
    if (channel) afterQueuedMessages(settle);
    else settle();
  }

  #fail(id: number, reason: string): void {
    if (!this.#inFlight.delete(id)) return;
    this.#updateKeepAlive();
    this.#reply({ type: 'failed', id, reason });
  }

  /**
   * While a request is open, a ping whenever nothing went on the port for
   * KEEPALIVE_INTERVAL_MS, timed from its last message: requests on the
   * channel do not count, so a free-running interval started by one could
   * leave the port quiet for up to 30 s, when Chrome stops the worker.
   */
  #updateKeepAlive(): void {
    if (this.#inFlight.size === 0) {
      clearTimeout(this.#keepAlive);
      this.#keepAlive = undefined;
      return;
    }
    if (this.#keepAlive !== undefined) return;
    const due = this.#portTouched + KEEPALIVE_INTERVAL_MS - Date.now();
    // Past due only when the last ping found no port: the next comes a whole interval later.
    this.#keepAlive = setTimeout(
      () => {
        this.#keepAlive = undefined;
        if (this.#inFlight.size === 0) return;
        if (Date.now() - this.#portTouched >= KEEPALIVE_INTERVAL_MS)
          this.#postRaw({ type: 'ping' }, this.#port);
        this.#updateKeepAlive();
      },
      due > 0 ? due : KEEPALIVE_INTERVAL_MS,
    );
  }
}

/**
 * Runs `fn` in a task of its own, behind the messages already queued for
 * this script: a MessageChannel's message, which a hidden tab does not
 * throttle as it does timers.
 */
function afterQueuedMessages(fn: () => void): void {
  const { port1, port2 } = new MessageChannel();
  port1.onmessage = () => {
    port1.close();
    port2.close();
    fn();
  };
  port2.postMessage(null);
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
