// What travels between the page's shim (MAIN world), the isolated content
// script and the background while a web client talks to the homeserver.
//
//   page fetch/XHR → shim ──MessagePort (structured clone)──→ isolated script
//   isolated script ──runtime port (JSON in Chrome)──→ background → homeserver
//   isolated script ══client channel (Chrome: a MessagePort)══→ background
//
// Runtime ports serialise as JSON in Chrome, so bodies cross them as text or
// base64; the MessagePort carries bytes as ArrayBuffers.
//
// The client channel (Chrome): a runtime port message goes through the
// browser process, a MessagePort from the content script straight to the
// worker's thread (a round trip of 0.15-0.25 ms against 0.35-0.8 ms, mean,
// in a scratch extension on this machine; 0.8-0.9 ms each way on the port in
// the two-browser bench). The worker offers one on the runtime port once the
// page's origin is approved (`channel`, with a secret token); the isolated
// script hands a new MessagePort and the token to the extension's bridge page
// (CLIENT_BRIDGE_PAGE, in a hidden frame of the page for the moment it
// takes), which posts them to the worker as a service worker message (a
// content script cannot reach the worker's `navigator.serviceWorker`); the
// worker pairs the port with the runtime port the token was offered on, and
// says `channel-open` on it. From then on the isolated script sends its new
// requests on the channel, and every message of a request (its body, its
// abort, its answer) travels on the carrier the request went on. The
// runtime port stays: its pings keep the worker alive (a MessagePort message
// does not) and its disconnect tells the isolated script that the worker
// stopped, the channel with it. The token is the only thing that ties a
// channel to an origin: the origin is the runtime port's, which the browser
// names; the bridge page vouches for nothing. Firefox's background is not a
// service worker and offers no channel.
//
// A response travels as a stream, never as one message (Chrome caps a runtime
// port message at 64 MiB, and a big initial /sync or a media download must
// not depend on fitting): a `head` (status, headers), body `chunk`s of at
// most MAX_CHUNK_BYTES bytes each, in order, then an `end`. An answer that
// dies after its head ends with `error` (runtime port) or `failed` (page
// channel) instead, which the page sees as a network error. An `abort` from
// the page stops the stream at whatever point it has reached.
//
// A request body larger than one chunk streams the other way, so that an
// upload is bounded by the homeserver's max upload size, not by a port
// message: the request says `{streamed: length}`, and the isolated script
// sends the body in `body` messages of at most MAX_CHUNK_BYTES, the first
// BODY_WINDOW at once, then one more for each `more` the background sends
// as the homeserver takes one in (so the background holds at most
// BODY_WINDOW chunks of it).

/** The runtime port name the isolated content script connects with. */
export const CLIENT_PORT_NAME = 'p2pm-client';

/** The `type` of the window message that hands the shim's MessagePort to the isolated script. */
export const HANDSHAKE_TYPE = 'p2pm-channel';

/**
 * The `type` of the window message the isolated script posts when it starts:
 * a shim that ran first may have posted its channel before anybody listened
 * (content/shim/page-channel.ts), and offers a new one.
 */
export const BRIDGE_READY_TYPE = 'p2pm-bridge-ready';

/** The `type` of the isolated script's first message on the channel it took: the shim sends on that one. */
export const CHANNEL_TAKEN_TYPE = 'p2pm-channel-taken';

/**
 * The extension page that carries a client channel from a content script to
 * the worker (Chrome; web-accessible under a per-session URL).
 */
export const CLIENT_BRIDGE_PAGE = 'client-bridge.html';

/** The `type` of the message that hands a client channel to the bridge page, then to the worker. */
export const CLIENT_CHANNEL_TYPE = 'p2pm-client-channel';

/** What the isolated script posts to the bridge page, and the bridge page to the worker, with the port. */
export interface ClientChannelOffer {
  readonly type: typeof CLIENT_CHANNEL_TYPE;
  readonly token: string;
}

export function isClientChannelOffer(value: unknown): value is ClientChannelOffer {
  if (typeof value !== 'object' || value === null) return false;
  const msg = value as { type?: unknown; token?: unknown };
  return msg.type === CLIENT_CHANNEL_TYPE && typeof msg.token === 'string' && msg.token.length <= 64;
}

/** The most body bytes one `chunk` message carries. */
export const MAX_CHUNK_BYTES = 256 * 1024;

/** Body chunks of a streamed request the isolated script sends before the background asks for more. */
export const BODY_WINDOW = 4;

/** Bytes on the runtime port: UTF-8 text as text (JSON, the usual case), anything else as base64. */
export type WireBytes = { readonly text: string } | { readonly base64: string };

/** A request body on the runtime port: inline, or `length` bytes that follow in `body` messages. */
export type WireBody = WireBytes | { readonly streamed: number } | null;

export interface WireRequest {
  readonly method: string;
  /** Absolute URL on the homeserver origin. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: WireBody;
}

/** The start of a response: everything but its body. */
export interface WireHead {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
}

/** Isolated script → background. */
export type ClientMessage =
  | { readonly type: 'request'; readonly id: number; readonly request: WireRequest }
  /** A piece of a streamed request body, in order. */
  | { readonly type: 'body'; readonly id: number; readonly bytes: WireBytes }
  /** The page gave up on the request (before or during its body): the background stops answering it. */
  | { readonly type: 'abort'; readonly id: number }
  /** Sent every ~20 s while a request is open: an idle port alone does not keep a worker alive. */
  | { readonly type: 'ping' };

/** Background → isolated script. */
export type BackgroundMessage =
  /** A response whose body fits one chunk, in one message: head, body and end (most API answers). */
  | ({ readonly type: 'whole'; readonly id: number; readonly bytes: WireBytes } & WireHead)
  | ({ readonly type: 'head'; readonly id: number } & WireHead)
  | { readonly type: 'chunk'; readonly id: number; readonly bytes: WireBytes }
  | { readonly type: 'end'; readonly id: number }
  /** The homeserver took in a piece of the request's streamed body: send one more. */
  | { readonly type: 'more'; readonly id: number }
  /** The answer died after its head: the body is incomplete. */
  | { readonly type: 'error'; readonly id: number; readonly reason: string }
  | { readonly type: 'pong' }
  /** On the runtime port: a client channel may be paired with it, by this token (Chrome). */
  | { readonly type: 'channel'; readonly token: string }
  /** The worker's first message on a client channel: it is paired, requests may go on it. */
  | { readonly type: 'channel-open' };

/** Shim → isolated script (over the MessagePort). */
export type ShimMessage =
  | {
      readonly type: 'request';
      readonly id: number;
      readonly method: string;
      readonly url: string;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: ArrayBuffer | null;
    }
  | { readonly type: 'abort'; readonly id: number };

/** Isolated script → shim (over the MessagePort). */
export type BridgeMessage =
  /** Head, body (transferred) and end at once. */
  | ({ readonly type: 'whole'; readonly id: number; readonly bytes: ArrayBuffer } & WireHead)
  | ({ readonly type: 'head'; readonly id: number } & WireHead)
  /** Transferred, not copied. */
  | { readonly type: 'chunk'; readonly id: number; readonly bytes: ArrayBuffer }
  | { readonly type: 'end'; readonly id: number }
  /** The request could not be completed, before or after its head; the shim reports it as a network error. */
  | { readonly type: 'failed'; readonly id: number; readonly reason: string };

export function isClientMessage(value: unknown): value is ClientMessage {
  if (typeof value !== 'object' || value === null) return false;
  const msg = value as { type?: unknown; id?: unknown; request?: unknown };
  if (msg.type === 'ping') return true;
  if (msg.type === 'abort') return Number.isSafeInteger(msg.id);
  if (msg.type === 'body')
    return Number.isSafeInteger(msg.id) && isWireBytes((msg as { bytes?: unknown }).bytes);
  return msg.type === 'request' && Number.isSafeInteger(msg.id) && isWireRequest(msg.request);
}

type Fields = Readonly<Record<string, unknown>>;

const backgroundMessageChecks: Record<BackgroundMessage['type'], (msg: Fields) => boolean> = {
  whole: (msg) => Number.isSafeInteger(msg.id) && isWireHead(msg) && isWireBytes(msg.bytes),
  head: (msg) => Number.isSafeInteger(msg.id) && isWireHead(msg),
  chunk: (msg) => Number.isSafeInteger(msg.id) && isWireBytes(msg.bytes),
  end: (msg) => Number.isSafeInteger(msg.id),
  more: (msg) => Number.isSafeInteger(msg.id),
  error: (msg) => Number.isSafeInteger(msg.id) && typeof msg.reason === 'string',
  pong: () => true,
  channel: (msg) => typeof msg.token === 'string',
  'channel-open': () => true,
};

/** What the isolated script accepts from the background; anything else is dropped. */
export function isBackgroundMessage(value: unknown): value is BackgroundMessage {
  return isTypedMessage(value, backgroundMessageChecks);
}

const bridgeMessageChecks: Record<BridgeMessage['type'], (msg: Fields) => boolean> = {
  whole: (msg) => Number.isSafeInteger(msg.id) && isWireHead(msg) && msg.bytes instanceof ArrayBuffer,
  head: (msg) => Number.isSafeInteger(msg.id) && isWireHead(msg),
  chunk: (msg) => Number.isSafeInteger(msg.id) && msg.bytes instanceof ArrayBuffer,
  end: (msg) => Number.isSafeInteger(msg.id),
  failed: (msg) => Number.isSafeInteger(msg.id) && typeof msg.reason === 'string',
};

/** What the shim accepts from the isolated script; anything else is dropped. */
export function isBridgeMessage(value: unknown): value is BridgeMessage {
  return isTypedMessage(value, bridgeMessageChecks);
}

function isTypedMessage(value: unknown, checks: Record<string, (msg: Fields) => boolean>): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const msg = value as Fields;
  return typeof msg.type === 'string' && Object.hasOwn(checks, msg.type) && checks[msg.type]!(msg);
}

function isWireRequest(value: unknown): value is WireRequest {
  if (typeof value !== 'object' || value === null) return false;
  const req = value as Record<string, unknown>;
  return (
    typeof req.method === 'string' &&
    typeof req.url === 'string' &&
    isStringRecord(req.headers) &&
    (req.body === null || isWireBytes(req.body) || isStreamedBody(req.body))
  );
}

function isStreamedBody(value: unknown): value is { readonly streamed: number } {
  if (typeof value !== 'object' || value === null) return false;
  const streamed = (value as { streamed?: unknown }).streamed;
  return Number.isSafeInteger(streamed) && (streamed as number) > 0;
}

/** An HTTP status and string headers. */
function isWireHead(msg: Fields): boolean {
  return (
    Number.isInteger(msg.status) &&
    (msg.status as number) >= 100 &&
    (msg.status as number) <= 599 &&
    isStringRecord(msg.headers)
  );
}

function isWireBytes(value: unknown): value is WireBytes {
  if (typeof value !== 'object' || value === null) return false;
  const bytes = value as Record<string, unknown>;
  return typeof bytes.text === 'string' || typeof bytes.base64 === 'string';
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.values(value as Record<string, unknown>).every((v) => typeof v === 'string')
  );
}
