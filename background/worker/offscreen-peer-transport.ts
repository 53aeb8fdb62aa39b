// The homeserver's PeerTransport (src/core/federation/transport.ts) in the
// background, proxied to the libp2p node over the NodeLink: in Chrome the
// node is in the offscreen document, in Firefox in the same event page.
//
// The node, not this proxy, authenticates peers: it names the sender of an
// incoming request from the connection's Noise handshake and refuses a
// request whose `origin` claims otherwise (src/core/federation/inbound.ts),
// and the link itself only accepts the offscreen document (offscreen-link.ts).
import {
  defaultTransportLimits,
  type FederationHandler,
  type FederationRequest,
  type FederationResponse,
  PeerSet,
  type PeerState,
  type PeerTransport,
  PeerUnreachable,
  type RequestOptions,
  responses,
  type StreamingResponse,
  type StreamOptions,
} from '../../src/core/public.ts';
import {
  decodeFederationRequest,
  encodeFederationRequest,
  encodeFederationResponse,
  encodeStreamingResponse,
  type FederateOutcome,
  federateResult,
  type HostRequests,
} from '../../src/platform/web/node-wire.ts';
import { linkReader, StreamHolder } from '../../src/platform/web/link-streams.ts';
import type { NodeLink } from './node-link-api.ts';
import { workerTrace } from './worker-trace.ts';

/** Extra time the link gets beyond the node's own request timeout, so that the node's answer wins. */
const LINK_MARGIN_MS = 5_000;

export class OffscreenPeerTransport implements PeerTransport {
  readonly serverName: string;
  readonly #link: NodeLink;
  readonly #peers = new PeerSet();
  #handler: FederationHandler | undefined;
  #handlerSet!: () => void;
  readonly #handlerReady = new Promise<void>((resolve) => {
    this.#handlerSet = resolve;
  });
  #closed = false;
  /** Our answers' streamed bodies (media served to peers), pulled by the node piece by piece. */
  readonly #streams = new StreamHolder();

  constructor(serverName: string, link: NodeLink) {
    this.serverName = serverName;
    this.#link = link;
  }

  /** The node's reads of our streamed answers (HostRequests' readStream and cancelStream). */
  get streamHandlers(): StreamHolder['handlers'] {
    return this.#streams.handlers;
  }

  async request(to: string, req: FederationRequest, options?: RequestOptions): Promise<FederationResponse> {
    return federateResult(
      to,
      await this.#federate(to, req, options?.timeoutMs, undefined, options?.maxBodyBytes),
    );
  }

  /**
   * The node reads the body off libp2p as it arrives and holds it; it
   * crosses the link in pieces as this side reads it (link-streams.ts), each
   * read bounded by the same timeout as a pause of the transfer itself.
   */
  async requestStream(
    to: string,
    req: FederationRequest,
    options: StreamOptions,
  ): Promise<StreamingResponse> {
    const outcome = await this.#federate(to, req, options.timeoutMs, options.maxBodyBytes);
    const readTimeout = (options.timeoutMs ?? defaultTransportLimits.requestTimeoutMs) + LINK_MARGIN_MS;
    return federateResult(
      to,
      outcome,
      linkReader((type, params, ms) => this.#link.call(type, params, ms), readTimeout),
    );
  }

  async #federate(
    to: string,
    req: FederationRequest,
    timeout: number | undefined,
    maxBodyBytes?: number,
    maxAnswerBytes?: number,
  ): Promise<FederateOutcome> {
    if (this.#closed) throw new PeerUnreachable(to, 'closed', 'transport is closed');
    const timeoutMs = timeout ?? defaultTransportLimits.requestTimeoutMs;
    try {
      const params = {
        to,
        request: encodeFederationRequest(req),
        timeoutMs,
        ...(maxBodyBytes !== undefined && { maxBodyBytes }),
        ...(maxAnswerBytes !== undefined && { maxAnswerBytes }),
      };
      return await workerTrace.span(`fed> ${req.method} ${req.path}`, () =>
        this.#link.call('federate', params, timeoutMs + LINK_MARGIN_MS),
      );
    } catch (err) {
      throw new PeerUnreachable(to, 'broken', `the peer-to-peer node did not answer: ${String(err)}`);
    }
  }

  onRequest(handler: FederationHandler): void {
    this.#handler = handler;
    this.#handlerSet();
  }

  peers(): string[] {
    return this.#peers.list();
  }

  onPeer(listener: (serverName: string, state: PeerState) => void): void {
    this.#peers.onChange(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#peers.clear();
    this.#streams.cancelAll();
  }

  /** Serves an incoming request the node received (HostRequests.incoming). */
  async serveIncoming({
    from,
    request,
  }: HostRequests['incoming']['params']): Promise<HostRequests['incoming']['result']> {
    await this.#handlerReady;
    if (this.#closed || !this.#handler) return encodeFederationResponse(responses.notReady());
    const decoded = decodeFederationRequest(request);
    const handler = this.#handler;
    return encodeStreamingResponse(
      await workerTrace.span(`fed< ${decoded.method} ${decoded.path}`, () => handler(from, decoded)),
      this.#streams,
    );
  }

  /** The node says a server came or went. */
  peerChanged(serverName: string, state: PeerState): void {
    if (!this.#closed) this.#peers.set(serverName, state);
  }

  /** The node's full list of connected servers (after the link came back): reports the differences. */
  syncPeers(connected: readonly string[]): void {
    if (!this.#closed) this.#peers.sync(connected);
  }
}
