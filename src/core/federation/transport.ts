// The peer transport port: how the federation code reaches other homeservers.
// The Server-Server API (same paths, bodies and semantics) is carried as one
// request/response exchange per call; libp2p in Node, libp2p in the browser
// and the in-memory network all implement this port and pass one conformance
// suite (test/core/federation/transport-conformance.ts).
//
// Who is talking is never taken from the request: the transport learns the
// remote server name from the authenticated connection (libp2p: the Noise
// handshake proves the peer holds the Ed25519 key whose hex is its server
// name) and refuses requests whose claimed `origin` differs.

import { StreamedBody } from '../http/streamed-body.ts';
import type { JsonObject } from '../protocol/types.ts';

/** A request body: JSON for almost every endpoint, raw bytes for media. */
export type FederationBody = JsonObject | Uint8Array;

export interface FederationRequest {
  readonly method: string;
  /** Path without the query string, e.g. `/_matrix/federation/v1/send/123`. */
  readonly path: string;
  /** Query parameters; repeated keys keep every value in order. */
  readonly query?: Readonly<Record<string, string | readonly string[]>>;
  readonly body?: FederationBody;
  /** The sending server's name; must equal the name the connection authenticated. */
  readonly origin: string;
}

export interface FederationResponse {
  readonly status: number;
  readonly body: FederationBody;
  /** The media type of a bytes body (media answers: `multipart/mixed; boundary=…`). */
  readonly contentType?: string;
}

/**
 * A bytes body may be a StreamedBody (http/streamed-body.ts, the one type the
 * client API's media answers use too), sent and read piece by piece, never
 * whole in memory (media): its `length` is exact and travels first, so a
 * receiver refuses an oversized body before any of it. A consumer that stops
 * iterating early cancels the transfer; a transfer cut short or longer than
 * `length` makes the iteration throw (PeerUnreachable or PeerProtocolError),
 * so a reader never takes a truncated body for a whole one.
 */
export { StreamedBody };

/** What a handler may answer and `requestStream` returns: a FederationResponse whose bytes may be streamed. */
export interface StreamingResponse {
  readonly status: number;
  readonly body: FederationBody | StreamedBody;
  readonly contentType?: string;
}

export interface RequestOptions {
  /** Give up (PeerUnreachable, reason `timeout`) when no full response arrived by then. */
  readonly timeoutMs?: number;
  /**
   * Largest answer accepted for this request, below the transport's
   * maxResponseBodyBytes (larger is PeerProtocolError `too-large`, refused
   * before it is read): answers whose use is small (the directory) need not
   * let a peer make us hold 16 MiB.
   */
  readonly maxBodyBytes?: number;
}

export interface StreamOptions {
  /**
   * Give up when the answer's head has not arrived by then; afterwards, a
   * pause longer than this between two pieces of the body ends it with
   * PeerUnreachable (`timeout`). Defaults to TransportLimits.requestTimeoutMs.
   */
  readonly timeoutMs?: number;
  /** Largest bytes body accepted (it replaces maxResponseBodyBytes for this request); larger is PeerProtocolError `too-large`. */
  readonly maxBodyBytes: number;
}

/** Serves a request from `fromServerName` (already authenticated; equals `req.origin`). */
export type FederationHandler = (
  fromServerName: string,
  req: FederationRequest,
) => Promise<StreamingResponse>;

export type PeerState = 'up' | 'down';

export interface PeerTransport {
  /** Our own server name. */
  readonly serverName: string;
  request(serverName: string, req: FederationRequest, options?: RequestOptions): Promise<FederationResponse>;
  /**
   * Like request, but a bytes answer arrives as a StreamedBody, read as it
   * comes in with at most a bounded amount buffered (a JSON answer, such as
   * an error, still arrives whole within maxResponseBodyBytes).
   */
  requestStream(
    serverName: string,
    req: FederationRequest,
    options: StreamOptions,
  ): Promise<StreamingResponse>;
  /** Sets the handler for incoming requests (a later call replaces it). */
  onRequest(handler: FederationHandler): void;
  /** Server names of the peers we are connected to now. */
  peers(): string[];
  /** Told when a peer becomes reachable (`up`: reset its backoff, flush its queue) or goes away. */
  onPeer(listener: (serverName: string, state: PeerState) => void): void;
  close(): Promise<void>;
}

/**
 * `no-route`: no connection could be made; `timeout`: no full response in time;
 * `broken`: the exchange was cut off midway; `closed`: our transport is closed.
 */
export type UnreachableReason = 'no-route' | 'timeout' | 'broken' | 'closed';

/** The peer could not be reached or did not answer in time; retry later with backoff. */
export class PeerUnreachable extends Error {
  override readonly name = 'PeerUnreachable';
  readonly serverName: string;
  readonly reason: UnreachableReason;

  constructor(serverName: string, reason: UnreachableReason, message: string) {
    super(message);
    this.serverName = serverName;
    this.reason = reason;
  }
}

export type ProtocolViolation = 'too-large' | 'malformed';

/** The peer answered, but with something we refuse to read (oversized or malformed). */
export class PeerProtocolError extends Error {
  override readonly name = 'PeerProtocolError';
  readonly serverName: string;
  readonly violation: ProtocolViolation;

  constructor(serverName: string, violation: ProtocolViolation, message: string) {
    super(message);
    this.serverName = serverName;
    this.violation = violation;
  }
}

/** Limits every implementation enforces, so one peer cannot exhaust another. */
export interface TransportLimits {
  /** Largest request body accepted from a peer; bigger ones get 413 before they are read in full. */
  readonly maxRequestBodyBytes: number;
  /** Largest response body accepted from a peer. */
  readonly maxResponseBodyBytes: number;
  /** Incoming requests from one peer being served at once; more get 429. */
  readonly maxConcurrentPerPeer: number;
  /**
   * Incoming requests from all peers together being served at once; more get
   * 429. Identities are free, so a per-peer limit alone bounds nothing.
   */
  readonly maxConcurrentTotal: number;
  /**
   * Request bodies (their declared lengths) from all peers together being
   * read or served at once; a body over SMALL_BODY_BYTES that would pass it
   * gets 429 before it is read. Small bodies are bounded by the count above.
   */
  readonly maxBodyBytesInFlight: number;
  /** An incoming request must arrive in full within this time. */
  readonly readTimeoutMs: number;
  /** Default for RequestOptions.timeoutMs. */
  readonly requestTimeoutMs: number;
}

export const defaultTransportLimits: TransportLimits = {
  maxRequestBodyBytes: 4 * 1024 * 1024,
  maxResponseBodyBytes: 16 * 1024 * 1024,
  maxConcurrentPerPeer: 16,
  maxConcurrentTotal: 256,
  maxBodyBytesInFlight: 32 * 1024 * 1024,
  readTimeoutMs: 30_000,
  requestTimeoutMs: 30_000,
};
