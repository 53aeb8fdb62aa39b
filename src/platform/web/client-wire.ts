// What travels between the page's shim (MAIN world), the isolated content
// script and the background while a web client talks to the homeserver.
//
//   page fetch/XHR → shim ──MessagePort (structured clone)──→ isolated script
//   isolated script ──runtime port (JSON in Chrome)──→ background → homeserver
//
// Runtime ports serialise as JSON in Chrome, so bodies cross them as text or
// base64; the MessagePort carries bytes as ArrayBuffers.

/** The runtime port name the isolated content script connects with. */
export const CLIENT_PORT_NAME = 'p2pm-client';

/** The `type` of the window message that hands the shim's MessagePort to the isolated script. */
export const HANDSHAKE_TYPE = 'p2pm-channel';

/** A request body or response body on the runtime port. */
export type WireBody = { readonly text: string } | { readonly base64: string } | null;

export interface WireRequest {
  readonly method: string;
  /** Absolute URL on the homeserver origin. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: WireBody;
}

export interface WireResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: WireBody;
}

/** Isolated script → background. */
export type ClientMessage =
  | { readonly type: 'request'; readonly id: number; readonly request: WireRequest }
  | { readonly type: 'abort'; readonly id: number }
  /** Sent every ~20 s while a request is open: an idle port alone does not keep a worker alive. */
  | { readonly type: 'ping' };

/** Background → isolated script. */
export type BackgroundMessage =
  | { readonly type: 'response'; readonly id: number; readonly response: WireResponse }
  | { readonly type: 'pong' };

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
  | {
      readonly type: 'response';
      readonly id: number;
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: string | ArrayBuffer | null;
    }
  /** The request could not be completed; the shim reports it as a network error. */
  | { readonly type: 'failed'; readonly id: number; readonly reason: string };

export function isClientMessage(value: unknown): value is ClientMessage {
  if (typeof value !== 'object' || value === null) return false;
  const msg = value as { type?: unknown; id?: unknown; request?: unknown };
  if (msg.type === 'ping') return true;
  if (msg.type === 'abort') return Number.isSafeInteger(msg.id);
  return msg.type === 'request' && Number.isSafeInteger(msg.id) && isWireRequest(msg.request);
}

function isWireRequest(value: unknown): value is WireRequest {
  if (typeof value !== 'object' || value === null) return false;
  const req = value as Record<string, unknown>;
  return (
    typeof req.method === 'string' &&
    typeof req.url === 'string' &&
    isStringRecord(req.headers) &&
    isWireBody(req.body)
  );
}

function isWireBody(value: unknown): value is WireBody {
  if (value === null) return true;
  if (typeof value !== 'object') return false;
  const body = value as Record<string, unknown>;
  return typeof body.text === 'string' || typeof body.base64 === 'string';
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.values(value as Record<string, unknown>).every((v) => typeof v === 'string')
  );
}
