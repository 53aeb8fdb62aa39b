// The background end of the content scripts' runtime ports: each request from
// an approved page is answered by the homeserver core and streamed back on the
// carrier it came on (response-stream.ts): the port, or the client channel
// paired with it (client-wire.ts; Chrome), offered once the port's origin is
// approved. A long-poll (/sync) keeps its port busy until it returns; if the
// page goes away or aborts, the core learns it through HsRequest.closed, and a
// response being streamed stops.
import { type Homeserver, internalError, type Logger, matrixErrorResponse } from '../../src/core/public.ts';
import {
  type BackgroundMessage,
  CLIENT_PORT_NAME,
  type ClientMessage,
  isClientChannelOffer,
  isClientMessage,
} from '../../src/platform/web/client-wire.ts';
import { isHomeserverUrl } from '../../src/platform/web/homeserver-url.ts';
import { fromHsResponse, type OutgoingResponse, toHsRequest } from '../../src/platform/web/hs-wire.ts';
import { originClient } from './client-names.ts';
import type { ClientStats } from './client-stats.ts';
import { RequestBodyInbox } from './request-body.ts';
import { streamResponse } from './response-stream.ts';
import { contentScriptOrigin } from './sender-checks.ts';
import { workerTrace } from './worker-trace.ts';

export interface ClientPortDeps {
  readonly homeserver: Promise<Homeserver>;
  readonly isApproved: (origin: string) => Promise<boolean>;
  readonly stats: ClientStats;
  readonly logger: Logger;
  /** Where client channels arrive (client-channels.ts); none: requests stay on the ports (Firefox). */
  readonly channels?: ClientChannelOffers;
  /** A token no page can guess (default: 128 random bits in hex). */
  readonly newToken?: () => string;
}

/** A client channel's end in the worker: a MessagePort. */
export interface ClientChannel {
  postMessage(msg: BackgroundMessage): void;
  onmessage: ((evt: MessageEvent<unknown>) => void) | null;
  close(): void;
}

/** The browser's part of client channels: calls `accept` with each offer the bridge page posts and its port. */
export interface ClientChannelOffers {
  listen(accept: (offer: unknown, port: ClientChannel) => void): void;
}

/** Ports offered a channel and not yet paired with one, at most (a page's script pairs at once). */
export const MAX_OFFERED = 256;

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface ClientPorts {
  /** runtime.onConnect listener: registered synchronously at the worker's top level. */
  accept(port: chrome.runtime.Port): void;
  /** Closes the ports of `origin` (after a revoke): its pending requests fail as network errors. */
  closeOrigin(origin: string): void;
}

export function createClientPorts(deps: ClientPortDeps): ClientPorts {
  const byOrigin = new Map<string, Set<PortSession>>();
  /** Channel tokens offered, each to the session of one approved port; used once. */
  const offered = new Map<string, PortSession>();
  const newToken = deps.newToken ?? randomToken;
  /** The session `token` was offered to, if it still waits; the token is spent either way. */
  const take = (token: string) => {
    const session = offered.get(token);
    offered.delete(token);
    return session;
  };
  deps.channels?.listen((offer, channel) => {
    // Anything but the token of a port still waiting is refused: the channel closes, unpaired.
    const session = isClientChannelOffer(offer) ? take(offer.token) : undefined;
    if (!session) return channel.close();
    session.attach(channel);
  });
  const offerChannel = (session: PortSession) => {
    const token = newToken();
    offered.set(token, session);
    for (const old of offered.keys()) {
      if (offered.size <= MAX_OFFERED) break;
      offered.delete(old);
    }
    session.offer(token);
  };
  return {
    accept(port) {
      if (port.name !== CLIENT_PORT_NAME) return;
      deps.stats.portsOpened++;
      const origin = contentScriptOrigin(port.sender);
      // Listeners are attached now, synchronously: messages may already be queued.
      const allowed = origin === undefined ? Promise.resolve(false) : deps.isApproved(origin);
      const session = new PortSession(port, deps, origin);
      port.onMessage.addListener((msg: unknown) => {
        deps.stats.messages++;
        void allowed.then((ok) => (ok ? session.receive(msg) : reject(port, deps, origin)));
      });
      // A channel only for a port whose origin is approved: it carries what the port would.
      if (deps.channels) void allowed.then((ok) => ok && !session.closed && offerChannel(session));
      deps.stats.open++;
      if (origin !== undefined) addTo(byOrigin, origin, session);
      const closed = () => {
        deps.stats.open--;
        if (origin !== undefined) byOrigin.get(origin)?.delete(session);
        for (const [token, waiting] of offered) if (waiting === session) offered.delete(token);
        session.close();
      };
      port.onDisconnect.addListener(closed);
      session.onLocalDisconnect = closed;
    },
    closeOrigin(origin) {
      for (const session of [...(byOrigin.get(origin) ?? [])]) session.disconnect();
    },
  };
}

function reject(port: chrome.runtime.Port, deps: ClientPortDeps, origin: string | undefined): void {
  deps.stats.rejected++;
  deps.logger.warn('client port from an unapproved sender closed', { origin });
  port.disconnect();
}

function addTo(map: Map<string, Set<PortSession>>, key: string, session: PortSession): void {
  const set = map.get(key) ?? new Set();
  set.add(session);
  map.set(key, set);
}

/**
 * The answer when the request never reached the core (a malformed request, a
 * failed boot). Made when needed, not at load: an Error made while the
 * bundle's top level runs costs 22-49 ms in a worker with a debugger attached
 * (V8 then captures a detailed stack trace, whose source positions for the
 * top-level frame mean parsing all of background.js again), against 0.5 ms
 * without: the benches' cold starts, which Playwright attaches to, paid it.
 */
const unknownError = (): OutgoingResponse => fromHsResponse(matrixErrorResponse(internalError()));

/** Where a session's messages go: its runtime port or its client channel. */
type Carrier = Pick<ClientChannel, 'postMessage'>;

/** The requests in flight on one port (and its client channel), so that an abort or a disconnect can end them. */
class PortSession {
  readonly #port: chrome.runtime.Port;
  /** The client channel paired with the port, once it is. */
  #channel: ClientChannel | undefined;
  /** The carrier each request in flight came on: all its answer goes back on it. */
  readonly #carriers = new Map<number, Carrier>();
  readonly #deps: ClientPortDeps;
  readonly #pending = new Map<number, () => void>();
  /** The streamed bodies of requests in flight, as they arrive. */
  readonly #bodies = new Map<number, RequestBodyInbox>();
  /** The page's origin: its requests count against that origin's rate limits and its consent to create accounts (HsRequest.client). */
  readonly #client: string | undefined;
  #closed = false;
  /** Called when this side disconnects (the browser fires onDisconnect only for the other side). */
  onLocalDisconnect: () => void = () => {};

  constructor(port: chrome.runtime.Port, deps: ClientPortDeps, origin: string | undefined) {
    this.#port = port;
    this.#deps = deps;
    this.#client = origin === undefined ? undefined : originClient(origin);
  }

  get closed(): boolean {
    return this.#closed;
  }

  receive(msg: unknown, carrier: Carrier = this.#port): void {
    if (!isClientMessage(msg)) return;
    if (msg.type === 'ping') this.#post(carrier, { type: 'pong' });
    else if (msg.type === 'body') this.#bodies.get(msg.id)?.push(msg.bytes);
    else if (msg.type === 'abort') this.#end(msg.id);
    else {
      this.#carriers.set(msg.id, carrier);
      void this.#answer(msg);
    }
  }

  /** Tells the isolated script the token that pairs a client channel with this port. */
  offer(token: string): void {
    this.#post(this.#port, { type: 'channel', token });
  }

  /** Pairs `channel` with this port: what arrives on it is this session's, as the port's. */
  attach(channel: ClientChannel): void {
    if (this.#closed || this.#channel) {
      channel.close();
      return;
    }
    this.#channel = channel;
    channel.onmessage = (evt) => {
      this.#deps.stats.channelMessages++;
      if (this.#channel === channel) this.receive(evt.data, channel);
    };
    this.#deps.stats.channels++;
    this.#post(channel, { type: 'channel-open' });
  }

  disconnect(): void {
    this.#port.disconnect();
    this.onLocalDisconnect();
  }

  close(): void {
    this.#closed = true;
    this.#channel?.close();
    this.#channel = undefined;
    for (const id of [...this.#pending.keys()]) this.#end(id);
  }

  async #answer(msg: Extract<ClientMessage, { type: 'request' }>): Promise<void> {
    let end!: () => void;
    const closed = new Promise<void>((resolve) => {
      end = resolve;
    });
    this.#pending.set(msg.id, end);
    const body = msg.request.body;
    let bodyStream: AsyncIterable<Uint8Array> | undefined;
    if (body !== null && 'streamed' in body) {
      const inbox = new RequestBodyInbox(body.streamed, () => this.#send({ type: 'more', id: msg.id }));
      this.#bodies.set(msg.id, inbox);
      bodyStream = inbox.chunks();
    }
    let response: OutgoingResponse | undefined;
    try {
      if (!isHomeserverUrl(msg.request.url)) throw new TypeError('not a homeserver URL');
      const homeserver = await this.#deps.homeserver;
      // A site is one party whichever of its accounts asks: its sends count against it too.
      const request = { ...toHsRequest(msg.request, closed, this.#client, bodyStream), clientIsParty: true };
      response = fromHsResponse(
        await workerTrace.span(`client ${request.method} ${request.path}`, () => homeserver.handle(request)),
      );
    } catch (err) {
      // The core turns handler errors into responses; this is a malformed request or a failed boot.
      this.#deps.logger.error('client request failed', { error: String(err) });
    }
    try {
      await streamResponse(msg.id, response ?? unknownError(), {
        send: (out) => this.#send(out),
        wanted: () => !this.#closed && this.#pending.has(msg.id),
      });
    } finally {
      this.#end(msg.id);
    }
  }

  #end(id: number): void {
    this.#pending.get(id)?.();
    this.#pending.delete(id);
    this.#carriers.delete(id);
    this.#bodies.get(id)?.fail(new Error('the request ended before its body'));
    this.#bodies.delete(id);
  }

  /** A message about a request, on the carrier that request came on; none once it ended. */
  #send(msg: BackgroundMessage): void {
    const carrier = 'id' in msg ? this.#carriers.get(msg.id) : this.#port;
    if (carrier) this.#post(carrier, msg);
  }

  #post(carrier: Carrier, msg: BackgroundMessage): void {
    if (this.#closed) return;
    try {
      carrier.postMessage(msg);
    } catch {
      // The page went away between the answer and the send.
    }
  }
}
