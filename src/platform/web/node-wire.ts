// What travels between the background (the homeserver) and the libp2p node
// (Chrome: the offscreen document, over a runtime port named NODE_PORT_NAME;
// Firefox: the same calls in-process, in the event page).
//
//   background ──NodeRequests──→ node      start, federate, snapshot, dial, …
//   node ──HostRequests──→ background      incoming federation requests
//   node ──NodeEvent──→ background         peers up/down, changes, errors, keep-alive
//
// Chrome's runtime ports serialise as JSON, so federation bodies that are
// bytes cross as base64 and every value here is plain JSON. A streamed body
// (media: PeerTransport.requestStream's answer, or our own media served to a
// peer) crosses in pieces, never whole: the answer carries a reference to it
// and the other side pulls it (link-streams.ts), both directions alike.
import type { Span } from '../trace.ts';
import {
  type FederationBody,
  type FederationRequest,
  type FederationResponse,
  PeerProtocolError,
  type PeerTransport,
  PeerUnreachable,
  type ProtocolViolation,
  StreamedBody,
  type StreamingResponse,
  type TurnCredentials,
  type UnreachableReason,
} from '../../core/public.ts';
import { decodeBase64, encodeBase64, type JsonObject } from '../../core/protocol.ts';
import { describeFailure } from '../describe-failure.ts';
import {
  pulledBody,
  type StreamHolder,
  type StreamReader,
  type StreamRequests,
  type WireStreamRef,
} from './link-streams.ts';
import type { NetworkSettings } from './network-settings.ts';
import type { NetworkState } from './popup-messages.ts';

export const NODE_PORT_NAME = 'p2pm-node';

/** The offscreen document's page (Chrome). */
export const OFFSCREEN_PAGE = 'offscreen.html';

/**
 * Chrome: the offscreen document also hands the worker a MessagePort, for the
 * requests and replies (port-rpc.ts `attach`): it names the runtime port's
 * channel with a `NodeChannelToken` on that port, and posts the MessagePort
 * to the service worker with the same `NodeChannelToken`.
 */
export const NODE_CHANNEL = 'p2pm-node-channel';

export interface NodeChannelToken {
  readonly kind: typeof NODE_CHANNEL;
  readonly token: string;
}

export function isNodeChannelToken(message: unknown): message is NodeChannelToken {
  const m = message as Partial<NodeChannelToken> | null;
  return m?.kind === NODE_CHANNEL && typeof m.token === 'string';
}

/** A runtime message the background sends to wake the offscreen document's port after a worker restart. */
export const WAKE_MESSAGE = { channel: 'p2pm-node', type: 'wake' } as const;

export type WireFederationBody = { readonly json: JsonObject } | { readonly base64: string };

/** A response body on the link: whole, or a stream the receiving side pulls (link-streams.ts). */
export type WireResponseBody = WireFederationBody | WireStreamRef;

export interface WireFederationRequest {
  readonly method: string;
  readonly path: string;
  readonly query?: Readonly<Record<string, string | readonly string[]>>;
  readonly body?: WireFederationBody;
  readonly origin: string;
}

export interface WireFederationResponse {
  readonly status: number;
  readonly body: WireResponseBody;
  readonly contentType?: string;
}

/** The outcome of a federation request the node sent: the transport's errors travel as values. */
export type FederateOutcome =
  | { readonly ok: true; readonly response: WireFederationResponse }
  | {
      readonly ok: false;
      readonly name: 'PeerUnreachable';
      readonly reason: string;
      readonly message: string;
    }
  | {
      readonly ok: false;
      readonly name: 'PeerProtocolError';
      readonly violation: string;
      readonly message: string;
    };

export interface NodeInfo {
  readonly serverName: string;
  readonly multiaddrs: readonly string[];
}

/** One libp2p connection as the node sees it (debugging and tests: is the link direct WebRTC?). */
export interface ConnectionInfo {
  readonly peerId: string;
  readonly serverName: string | null;
  readonly remoteAddr: string;
  readonly direction: string;
  readonly direct: boolean;
  readonly multiplexer: string | null;
  readonly encryption: string | null;
  readonly limited: boolean;
  readonly status: string;
  /** Federation may use it: not a WebRTC connection still proving it carries streams. */
  readonly usable: boolean;
  /** When it opened (ms since the epoch). */
  readonly opened: number;
}

type None = Record<string, never>;

/** Background → node (with the reads of the streams the node holds: federate's answers). */
export interface NodeRequests extends StreamRequests {
  /** Starts the node with this identity and settings; a node already running with the same identity stays. */
  start: { params: { readonly seed: string; readonly settings: NetworkSettings }; result: NodeInfo };
  /** The node, if it runs: who it is and which servers are connected. */
  status: { params: None; result: { readonly node: NodeInfo | null; readonly peers: readonly string[] } };
  federate: {
    params: {
      readonly to: string;
      readonly request: WireFederationRequest;
      readonly timeoutMs?: number;
      /** Set for PeerTransport.requestStream: a bytes answer may be this large. */
      readonly maxBodyBytes?: number;
      /** PeerTransport.request's own cap on the answer (RequestOptions.maxBodyBytes). */
      readonly maxAnswerBytes?: number;
    };
    result: FederateOutcome;
  };
  snapshot: { params: None; result: NetworkState };
  dial: { params: { readonly multiaddr: string }; result: { readonly serverName: string } };
  reconnect: { params: None; result: None };
  applySettings: { params: { readonly settings: NetworkSettings }; result: None };
  connections: { params: None; result: readonly ConnectionInfo[] };
  /** TURN credentials from the node's relays (turn-client.ts), null when none serves TURN. */
  turnCredentials: { params: None; result: TurnCredentials | null };
  /** Benches: `on` starts the node's trace (src/platform/trace.ts); off answers its spans and stops it. */
  trace: { params: { readonly on: boolean }; result: readonly Span[] };
}

/** Node → background (with the reads of the streams the background holds: incoming's answers). */
export interface HostRequests extends StreamRequests {
  incoming: {
    params: { readonly from: string; readonly request: WireFederationRequest };
    result: WireFederationResponse;
  };
}

export type NodeEvent =
  | { readonly type: 'peer'; readonly serverName: string; readonly state: 'up' | 'down' }
  /** Something the popup shows changed (connections, relays, round-trip times). */
  | { readonly type: 'changed' }
  /** The node failed at something the user should hear about, in words. */
  | { readonly type: 'error'; readonly message: string }
  /** Sent every ~20 s while peers are connected: it keeps Chrome's worker from being stopped. */
  | { readonly type: 'keepalive' };

function encodeFederationBody(body: FederationBody): WireFederationBody {
  return body instanceof Uint8Array ? { base64: encodeBase64(body) } : { json: body };
}

function decodeFederationBody(body: WireFederationBody): FederationBody {
  return 'base64' in body ? decodeBase64(body.base64) : body.json;
}

export function encodeFederationRequest(req: FederationRequest): WireFederationRequest {
  return withBody(req, req.body && encodeFederationBody(req.body));
}

export function decodeFederationRequest(wire: WireFederationRequest): FederationRequest {
  return withBody(wire, wire.body && decodeFederationBody(wire.body));
}

/** `req` (either form) with `body` in place of its own. */
function withBody<B>(req: Omit<FederationRequest, 'body'>, body: B | undefined) {
  return {
    method: req.method,
    path: req.path,
    origin: req.origin,
    ...(req.query && { query: req.query }),
    ...(body !== undefined && { body }),
  };
}

export function encodeFederationResponse(res: FederationResponse): WireFederationResponse {
  return {
    status: res.status,
    body: encodeFederationBody(res.body),
    ...(res.contentType !== undefined && { contentType: res.contentType }),
  };
}

/** A response whose body may be streamed: a streamed body stays with `holder`, the other side pulls it. */
export function encodeStreamingResponse(
  res: StreamingResponse,
  holder: StreamHolder,
): WireFederationResponse {
  if (!(res.body instanceof StreamedBody)) return encodeFederationResponse({ ...res, body: res.body });
  return {
    status: res.status,
    body: holder.export(res.body),
    ...(res.contentType !== undefined && { contentType: res.contentType }),
  };
}

/** A response that was never streamed (`request`, not `requestStream`). */
export function decodeFederationResponse(wire: WireFederationResponse): FederationResponse {
  if (isStreamRef(wire.body)) throw new TypeError('a streamed body where a whole one was expected');
  return {
    status: wire.status,
    body: decodeFederationBody(wire.body),
    ...(wire.contentType !== undefined && { contentType: wire.contentType }),
  };
}

/** A response whose body may be a stream held on the other side, pulled through `reader`. */
export function decodeStreamingResponse(
  wire: WireFederationResponse,
  reader: StreamReader,
): StreamingResponse {
  if (!isStreamRef(wire.body)) return decodeFederationResponse(wire);
  return {
    status: wire.status,
    body: pulledBody(wire.body, reader),
    ...(wire.contentType !== undefined && { contentType: wire.contentType }),
  };
}

function isStreamRef(body: WireResponseBody): body is WireStreamRef {
  return 'stream' in body;
}

/**
 * Sends a `federate` request through `transport` (the node's side): its
 * errors become values, a streamed answer's body stays with `holder`.
 */
export async function federateThrough(
  transport: PeerTransport,
  { to, request, timeoutMs, maxBodyBytes, maxAnswerBytes }: NodeRequests['federate']['params'],
  holder: StreamHolder,
): Promise<FederateOutcome> {
  const options = { ...(timeoutMs !== undefined && { timeoutMs }) };
  const capped = { ...options, ...(maxAnswerBytes !== undefined && { maxBodyBytes: maxAnswerBytes }) };
  try {
    const req = decodeFederationRequest(request);
    const response =
      maxBodyBytes === undefined
        ? encodeFederationResponse(await transport.request(to, req, capped))
        : encodeStreamingResponse(
            await transport.requestStream(to, req, { ...options, maxBodyBytes }),
            holder,
          );
    return { ok: true, response };
  } catch (err) {
    return federateFailure(err);
  }
}

/** A failed federation request as the link carries it: the transport's errors as values. */
function federateFailure(err: unknown): FederateOutcome {
  if (err instanceof PeerProtocolError) {
    return { ok: false, name: 'PeerProtocolError', violation: err.violation, message: err.message };
  }
  const reason = err instanceof PeerUnreachable ? err.reason : 'broken';
  return {
    ok: false,
    name: 'PeerUnreachable',
    reason,
    message: describeFailure(err),
  };
}

/** The background's side of federateThrough: the response, or the transport's error thrown again. */
export function federateResult(to: string, outcome: FederateOutcome): FederationResponse;
export function federateResult(to: string, outcome: FederateOutcome, reader: StreamReader): StreamingResponse;
export function federateResult(
  to: string,
  outcome: FederateOutcome,
  reader?: StreamReader,
): FederationResponse | StreamingResponse {
  if (outcome.ok) {
    return reader
      ? decodeStreamingResponse(outcome.response, reader)
      : decodeFederationResponse(outcome.response);
  }
  if (outcome.name === 'PeerProtocolError') {
    throw new PeerProtocolError(to, outcome.violation as ProtocolViolation, outcome.message);
  }
  throw new PeerUnreachable(to, outcome.reason as UnreachableReason, outcome.message);
}
