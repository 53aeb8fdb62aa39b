// PeerTransport over a running libp2p node, shared by the Node peer and (with
// a browser-built node) the extension. The node is dedicated to this
// transport: close() stops it.
//
// Reaching a server by name: its PeerId follows from the name; we reuse an
// open connection, else dial the addresses the peer store has for it (from
// discovery, addPeer or the known-peers store), else try a circuit through
// each configured relay, which works whenever the peer holds a reservation
// there (browsers always do).

import type { Connection, Libp2p, PeerId } from '@libp2p/interface';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import {
  BoundedCache,
  type Clock,
  defaultFederationRateLimits,
  defaultTransportLimits,
  type FederationRateLimits,
  FederationRateLimiter,
  type FederationRequest,
  type Logger,
  PeerProtocolError,
  type PeerState,
  type PeerTransport,
  PeerUnreachable,
  type RequestOptions,
  silentLogger,
  type StreamOptions,
  type TransportLimits,
} from '../../core/public.ts';
import { deadline } from './deadline.ts';
import { startDiscovery } from './discovery.ts';
import { BeyondConnectionLimit, exchange, exchangeStreaming, toTransportError } from './federation-client.ts';
import { createFederationServer } from './federation-server.ts';
import { FEDERATION_PROTOCOL, FEDERATION_SESSION_PROTOCOL, WireError } from './federation-wire.ts';
import { peerIdToServerName, serverNameToPeerId } from './identity.ts';
import { type KnownPeerStore, trackKnownPeers } from './known-peers.ts';
import { keepRelaysConnected } from './relay-keeper.ts';
import { SessionPool } from './session-pool.ts';
import { systemClock } from '../system-clock.ts';
import type { Trace } from '../trace.ts';
import { handleFederation } from './webrtc-writes.ts';

/** PeerIds of server names kept (see peerIdOf). */
const MAX_REMEMBERED_PEER_IDS = 1_000;

/** How long a streamed request waits for a direct connection to a peer reachable only through a relay. */
const DIRECT_WAIT_MS = 5_000;
/**
 * How long a request the relay cut short, or whose answer was longer than
 * the relayed connection had left, waits for one: as long as its own
 * deadline allows, since a big answer would be cut again on a new circuit
 * (between browsers whose first WebRTC attempt had failed, the direct
 * connection came 6-8 s after they met).
 */
const CUT_DIRECT_WAIT_MS = 60_000;

export interface Libp2pTransportInit {
  readonly libp2p: Libp2p;
  /** Relay multiaddrs ending in /p2p/<relay peer id>. */
  readonly relays?: readonly Multiaddr[];
  readonly knownPeers?: KnownPeerStore;
  readonly limits?: Partial<TransportLimits>;
  readonly logger?: Logger;
  /**
   * False for a connection federation must not use yet: a browser's WebRTC
   * connection until it has carried a stream (webrtc-upgrade.ts).
   */
  readonly usable?: (conn: Connection) => boolean;
  /** Benches: spans for the steps of each federation exchange (stream taken, request sent, request read). */
  readonly trace?: Trace;
  /** The rate limit of each peer's requests (default: defaultFederationRateLimits). */
  readonly federationRate?: FederationRateLimits;
  /** The rate limit's clock (default: the host's). */
  readonly clock?: Clock;
}

export interface Libp2pPeerTransport extends PeerTransport {
  /** Connects to a peer by multiaddr (ending in /p2p/<id>) and returns its server name. */
  addPeer(addr: string): Promise<string>;
  /** Our own listen addresses (including relay circuits), to hand to others. */
  multiaddrs(): string[];
  readonly libp2p: Libp2p;
}

export async function startLibp2pTransport(init: Libp2pTransportInit): Promise<Libp2pPeerTransport> {
  const { libp2p } = init;
  const limits = { ...defaultTransportLimits, ...init.limits };
  const logger = init.logger ?? silentLogger;
  const relays = init.relays ?? [];
  const serverName = peerIdToServerName(libp2p.peerId);
  if (!serverName) throw new TypeError('the libp2p node needs an Ed25519 identity');
  const closing = new AbortController();
  const listeners: ((name: string, state: PeerState) => void)[] = [];
  const connected = new Set<string>();

  const trace = init.trace;
  const rate = new FederationRateLimiter(
    init.federationRate ?? defaultFederationRateLimits,
    init.clock ?? systemClock,
  );
  const server = createFederationServer(limits, logger, trace, rate);
  const streamLimits = {
    runOnLimitedConnection: true,
    // Room above the per-peer slot limit so excess requests get a 429 rather than a stream reset.
    maxInboundStreams: limits.maxConcurrentPerPeer * 2,
    maxOutboundStreams: 256,
  };
  await handleFederation(libp2p, FEDERATION_PROTOCOL, server.handleStream, streamLimits);
  await handleFederation(libp2p, FEDERATION_SESSION_PROTOCOL, server.handleSession, streamLimits);
  const sessions = new SessionPool();
  const known = trackKnownPeers(libp2p, init.knownPeers, logger);
  const setState = (peer: PeerId, state: PeerState) => {
    const name = peerIdToServerName(peer);
    if (!name || closing.signal.aborted || connected.has(name) === (state === 'up')) return;
    if (state === 'up') connected.add(name);
    else connected.delete(name);
    if (state === 'up') known.remember(peer);
    for (const listener of listeners) listener(name, state);
  };
  const topology = await libp2p.register(FEDERATION_PROTOCOL, {
    notifyOnLimitedConnection: true,
    onConnect: (peer) => setState(peer, 'up'),
    onDisconnect: (peer) => setState(peer, 'down'),
  });
  const keeper = keepRelaysConnected(libp2p, relays, logger);
  const discovery = await startDiscovery(
    libp2p,
    { found: (peer, addrs) => void known.connect(peer, addrs) },
    logger,
  );
  void known.restore();

  // A PeerId built from a name costs a key parse and, once libp2p asks for
  // its string, a base58 encoding: once per peer, not per request.
  const peerIds = new BoundedCache<string, PeerId>(MAX_REMEMBERED_PEER_IDS);
  const peerIdOf = (name: string): PeerId | undefined => {
    const known = peerIds.get(name);
    if (known) return known;
    const peerId = serverNameToPeerId(name);
    if (peerId) peerIds.set(name, peerId);
    return peerId;
  };

  const usable = (c: Connection) => c.status === 'open' && (init.usable?.(c) ?? true);

  /** A usable open connection to the peer (direct first), else a new one; never `broken`. */
  const connect = async (peerId: PeerId, signal: AbortSignal, broken?: Connection): Promise<Connection> => {
    const open = libp2p.getConnections(peerId).filter((c) => c !== broken && usable(c));
    const existing = open.find((c) => !c.limits) ?? open[0];
    if (existing) return existing;
    // With a broken connection still counted as open, libp2p would hand it back: force a new one.
    // With only a WebRTC connection still being proven, go through the relays (a browser is
    // always reachable there) rather than have libp2p start another WebRTC dial.
    const proving = broken === undefined && libp2p.getConnections(peerId).some((c) => c.status === 'open');
    const dialOptions = { signal, force: broken !== undefined || proving };
    if (!proving) {
      try {
        return await libp2p.dial(peerId, dialOptions);
      } catch (err) {
        if (signal.aborted) throw err;
      }
    }
    for (const relay of relays) {
      try {
        return await libp2p.dial(relay.encapsulate(`/p2p-circuit/p2p/${peerId.toString()}`), dialOptions);
      } catch (err) {
        if (signal.aborted) throw err;
      }
    }
    throw new PeerUnreachable(peerIdToServerName(peerId) ?? '', 'no-route', 'no address reached the peer');
  };

  /**
   * A relay carries at most a little data per connection (relay.ts: 1 MiB),
   * so a streamed body (media), and a request the relay cut short (run), go
   * over a direct connection: the open one, else one dialled to the peer's
   * own addresses, else (a browser, reachable only through relays) the WebRTC
   * one the upgrade makes, waited for `waitMs`. Only when none comes is a
   * relayed one used: `conn`, or another dialled while waiting if it closed.
   */
  const direct = async (
    conn: Connection,
    signal: AbortSignal,
    waitMs = DIRECT_WAIT_MS,
  ): Promise<Connection> => {
    if (!conn.limits) return conn;
    const peer = conn.remotePeer;
    const found = () => libp2p.getConnections(peer).find((c) => !c.limits && usable(c));
    const own = (await libp2p.peerStore.get(peer).catch(() => undefined))?.addresses
      .map((a) => a.multiaddr)
      .filter((ma) => !ma.toString().includes('/p2p-circuit'));
    if (own && own.length > 0) {
      try {
        return await libp2p.dial(own, { signal, force: true });
      } catch (err) {
        if (signal.aborted) throw err;
      }
    }
    const deadline = Date.now() + waitMs;
    // The upgrade signals over a relayed connection: should ours close while
    // we wait (the relay cut it), another is dialled, at most once a second,
    // until the peer is found unreachable.
    let via = conn;
    let redialled = 0;
    let unreachable = false;
    while (!found() && Date.now() < deadline && !signal.aborted) {
      if (via.status !== 'open' && !unreachable && Date.now() - redialled >= 1_000) {
        redialled = Date.now();
        via = await connect(peer, signal).catch((err: unknown) => {
          unreachable = err instanceof PeerUnreachable;
          return via;
        });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return found() ?? via;
  };

  /** One exchange over a usable connection, made again once on another when the stream was cut short. */
  const run = async <T>(
    to: string,
    timeoutMs: number | undefined,
    once: (conn: Connection, signal: AbortSignal) => Promise<T>,
  ): Promise<T> => {
    const peerId = peerIdOf(to);
    if (closing.signal.aborted) throw new PeerUnreachable(to, 'closed', 'transport is closed');
    if (!peerId || to === serverName)
      throw new PeerUnreachable(to, 'no-route', `${to} is not another server`);
    const limit = deadline(timeoutMs ?? limits.requestTimeoutMs, closing.signal);
    const { signal } = limit;
    try {
      const conn = await connect(peerId, signal);
      try {
        return await once(conn, signal);
      } catch (err) {
        if (signal.aborted) throw err;
        // An answer refused at its head as longer than this relayed
        // connection has left (a big room's send_join: the relay's cut took
        // the WebRTC upgrade's signalling with it, which put the direct
        // connection a retry further off): the connection is still up and the
        // upgrade signals over it, so no new circuit; the request goes over
        // the direct connection once there is one, else once more on a new
        // circuit, which has its whole limit.
        if (err instanceof BeyondConnectionLimit) {
          const next = await direct(conn, signal, CUT_DIRECT_WAIT_MS);
          return await once(next.limits ? await connect(peerId, signal, conn) : next, signal);
        }
        // The stream ended or was reset before the answer was whole: libp2p
        // closes a relayed connection once a direct one is up, which cut a join
        // short right after two browsers met (the connection still reads as
        // open at that moment). Once more, on another connection; federation
        // requests are idempotent (transaction and event ids). The relay also
        // cuts a relayed connection after its 1 MiB, counted over everything
        // it carried, so a request cut on a relayed connection goes again over
        // a direct one, waited for while the upgrade tries again (direct),
        // until the request's deadline.
        if (!streamCutShort(err)) throw err;
        const next = await connect(peerId, signal, conn);
        return await once(conn.limits ? await direct(next, signal, CUT_DIRECT_WAIT_MS) : next, signal);
      }
    } catch (err) {
      throw toTransportError(err, to, signal, closing.signal.aborted);
    } finally {
      limit.clear();
    }
  };

  const request = (to: string, req: FederationRequest, options?: RequestOptions) =>
    run(to, options?.timeoutMs, (conn, signal) =>
      exchange(conn, to, req, {
        maxResponseBodyBytes: Math.min(limits.maxResponseBodyBytes, options?.maxBodyBytes ?? Infinity),
        signal,
        sessions,
        ...(trace && { trace }),
      }),
    );

  /** The head as `request` gets it; the body afterwards with no deadline but an idle one (federation-client.ts). */
  const requestStream = (to: string, req: FederationRequest, options: StreamOptions) =>
    run(to, options.timeoutMs, async (conn, headSignal) =>
      exchangeStreaming(await direct(conn, headSignal), to, req, {
        maxBodyBytes: options.maxBodyBytes,
        maxJsonBytes: limits.maxResponseBodyBytes,
        headSignal,
        signal: closing.signal,
        idleMs: options.timeoutMs ?? limits.requestTimeoutMs,
      }),
    );

  return {
    serverName,
    libp2p,
    request,
    requestStream,
    onRequest: (handler) => server.gate.setHandler(handler),
    peers: () => [...connected],
    onPeer: (listener) => void listeners.push(listener),
    multiaddrs: () => libp2p.getMultiaddrs().map((ma) => ma.toString()),
    addPeer: async (addr) => {
      const conn = await libp2p.dial(multiaddr(addr), {
        signal: AbortSignal.timeout(limits.requestTimeoutMs),
      });
      const name = peerIdToServerName(conn.remotePeer);
      if (!name) throw new TypeError(`${addr} is not a server (its key is not Ed25519)`);
      return name;
    },
    close: async () => {
      if (closing.signal.aborted) return;
      closing.abort();
      connected.clear();
      sessions.clear();
      keeper.stop();
      await discovery.stop();
      libp2p.unregister(topology);
      await known.flush();
      await libp2p.stop();
    },
  };
}

/** A stream that ended or was reset under an exchange, as opposed to a timeout or a malformed answer. */
function streamCutShort(err: unknown): boolean {
  return !(err instanceof WireError || err instanceof PeerProtocolError || err instanceof PeerUnreachable);
}
