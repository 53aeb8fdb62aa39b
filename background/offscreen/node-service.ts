// The libp2p node's side of the background ↔ node link (node-wire.ts): runs
// the browser node (src/platform/libp2p/browser-node.ts) and answers the
// background's requests. It lives in Chrome's offscreen document
// (offscreen.ts) and in Firefox's event page (node-link.firefox.ts).
//
// The node outlives Chrome's worker: the homeserver comes and goes, the
// node stays up and reachable, and hands each incoming federation request
// to whichever homeserver is there now (`host.incoming`, which wakes it).
// Starting, stopping and restarting (new relays or ICE servers need a new
// node) run one at a time.
import type { PeerId } from '@libp2p/interface';
import { KeyedQueue, type Logger, silentLogger } from '../../src/core/public.ts';
import { decodeBase64 } from '../../src/core/protocol.ts';
import {
  type BrowserNode,
  type BrowserNodeOptions,
  createBrowserNode,
} from '../../src/platform/libp2p/browser-node.ts';
import { peerIdToServerName, serverNameToPeerId } from '../../src/platform/libp2p/identity.ts';
import type { KnownPeerStore } from '../../src/platform/libp2p/known-peers.ts';
import type { NetworkSettings } from '../../src/platform/web/network-settings.ts';
import { linkReader, StreamHolder, type StreamRequests } from '../../src/platform/web/link-streams.ts';
import {
  type ConnectionInfo,
  decodeStreamingResponse,
  encodeFederationRequest,
  federateThrough,
  type HostRequests,
  type NodeEvent,
  type NodeInfo,
  type NodeRequests,
} from '../../src/platform/web/node-wire.ts';
import type { RpcHandlers } from '../../src/platform/web/port-rpc.ts';
import { Trace } from '../../src/platform/trace.ts';
import { networkSnapshot } from './network-snapshot.ts';

const RTT_INTERVAL_MS = 15_000;
const CHANGE_COALESCE_MS = 100;
/** A read of a body the homeserver serves to a peer may wait this long (the peer's own transfer limits apply too). */
const HOST_READ_TIMEOUT_MS = 60_000;

/** What the node needs from where the homeserver is. */
export interface NodeHost {
  incoming(params: HostRequests['incoming']['params']): Promise<HostRequests['incoming']['result']>;
  /** Reads (and cancels) the streamed bodies of `incoming`'s answers, held by the homeserver's side. */
  call<K extends keyof StreamRequests & string>(
    type: K,
    params: StreamRequests[K]['params'],
    timeoutMs?: number,
  ): Promise<StreamRequests[K]['result']>;
  emit(event: NodeEvent): void;
}

export interface NodeServiceDeps {
  readonly host: NodeHost;
  readonly logger?: Logger;
  readonly knownPeers?: KnownPeerStore;
  /** Replaceable in unit tests. */
  readonly createNode?: (options: BrowserNodeOptions) => Promise<BrowserNode>;
}

export interface NodeService {
  readonly handlers: RpcHandlers<NodeRequests>;
  /** Whether servers are connected now (Chrome's keep-alive runs while they are). */
  hasPeers(): boolean;
  /** Stops the node and its timers; the service starts again on the next `start`. */
  close(): Promise<void>;
}

interface Running {
  readonly seed: string;
  readonly settings: NetworkSettings;
  readonly node: BrowserNode;
  readonly info: NodeInfo;
  readonly stop: () => Promise<void>;
}

const NOT_RUNNING = 'The peer-to-peer node is starting.';

export function createNodeService(deps: NodeServiceDeps): NodeService {
  const { host } = deps;
  const logger = deps.logger ?? silentLogger;
  const createNode = deps.createNode ?? createBrowserNode;
  const rtts = new Map<string, number>();
  /** Federation requests through the node, while a bench has the trace on (`trace` request). */
  const trace = new Trace();
  /** Bodies fetched from peers, held until the homeserver has read them (link-streams.ts). */
  const streams = new StreamHolder();
  const hostReader = linkReader((type, params, ms) => host.call(type, params, ms), HOST_READ_TIMEOUT_MS);
  let running: Running | undefined;
  let failure: string | undefined;
  const queue = new KeyedQueue();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => queue.run('node', fn);

  let changePending = false;
  const changed = () => {
    if (changePending) return;
    changePending = true;
    setTimeout(() => {
      changePending = false;
      host.emit({ type: 'changed' });
    }, CHANGE_COALESCE_MS);
  };

  const measure = async (node: BrowserNode, peer: PeerId) => {
    try {
      rtts.set(peer.toString(), await node.ping(peer));
      changed();
    } catch {
      // The peer went away or does not answer pings; its entry keeps the connection's own figure.
    }
  };

  const launch = async (seed: string, settings: NetworkSettings): Promise<Running> => {
    const node = await createNode({
      trace,
      seed: decodeBase64(seed),
      relays: settings.relays,
      iceServers: settings.iceServers,
      ...(deps.knownPeers && { knownPeers: deps.knownPeers }),
      logger,
    });
    const { transport, libp2p } = node;
    transport.onRequest(async (from, req) => {
      const response = await trace.span(`node fed< ${req.method} ${req.path}`, () =>
        host.incoming({ from, request: encodeFederationRequest(req) }),
      );
      return decodeStreamingResponse(response, hostReader);
    });
    transport.onPeer((serverName, state) => {
      host.emit({ type: 'peer', serverName, state });
      const peerId = serverNameToPeerId(serverName);
      if (state === 'up' && peerId) void measure(node, peerId);
      changed();
    });
    libp2p.addEventListener('connection:open', changed);
    libp2p.addEventListener('connection:close', changed);
    const pinger = setInterval(() => {
      for (const name of transport.peers()) {
        const peerId = serverNameToPeerId(name);
        if (peerId) void measure(node, peerId);
      }
    }, RTT_INTERVAL_MS);
    const info = { serverName: transport.serverName, multiaddrs: transport.multiaddrs() };
    logger.info('libp2p node started', { serverName: info.serverName, peerId: libp2p.peerId.toString() });
    return {
      seed,
      settings,
      node,
      info,
      stop: async () => {
        clearInterval(pinger);
        libp2p.removeEventListener('connection:open', changed);
        libp2p.removeEventListener('connection:close', changed);
        for (const name of transport.peers()) host.emit({ type: 'peer', serverName: name, state: 'down' });
        await transport.close();
      },
    };
  };

  /** Stops the running node (if any) and starts one with `seed` and `settings`; reports failures in words. */
  const restart = async (seed: string, settings: NetworkSettings): Promise<NodeInfo> => {
    const previous = running;
    running = undefined;
    await previous?.stop().catch((err: unknown) => logger.warn('node stop failed', { error: String(err) }));
    rtts.clear();
    try {
      running = await launch(seed, settings);
      failure = undefined;
      return running.info;
    } catch (err) {
      failure = `The peer-to-peer node could not start: ${err instanceof Error ? err.message : String(err)}`;
      host.emit({ type: 'error', message: failure });
      throw err;
    } finally {
      changed();
    }
  };

  const sameNetwork = (a: NetworkSettings, b: NetworkSettings) =>
    JSON.stringify([a.relays, a.iceServers]) === JSON.stringify([b.relays, b.iceServers]);

  const handlers: RpcHandlers<NodeRequests> = {
    start: ({ seed, settings }) =>
      serial(async () => {
        if (running?.seed === seed && sameNetwork(running.settings, settings)) return running.info;
        return restart(seed, settings);
      }),
    status: async () => ({
      node: running ? { ...running.info, multiaddrs: running.node.transport.multiaddrs() } : null,
      peers: running?.node.transport.peers() ?? [],
    }),
    federate: async (params) => {
      if (!running) return { ok: false, name: 'PeerUnreachable', reason: 'no-route', message: NOT_RUNNING };
      const { transport } = running.node;
      return trace.span(`node fed> ${params.request.method} ${params.request.path}`, () =>
        federateThrough(transport, params, streams),
      );
    },
    ...streams.handlers,
    snapshot: async () => {
      if (!running) return { state: 'unavailable', reason: failure ?? NOT_RUNNING, peers: [], relays: [] };
      const { node, settings } = running;
      return networkSnapshot({
        libp2p: node.libp2p,
        peers: node.transport.peers(),
        relays: settings.relays,
        rtt: (peerId) => rtts.get(peerId),
      });
    },
    dial: async ({ multiaddr }) => {
      if (!running) throw new Error(failure ?? NOT_RUNNING);
      return { serverName: await running.node.transport.addPeer(multiaddr) };
    },
    reconnect: async () => {
      if (!running) throw new Error(failure ?? NOT_RUNNING);
      await redial(running, deps.knownPeers, logger);
      return {};
    },
    applySettings: ({ settings }) =>
      serial(async () => {
        if (running && !sameNetwork(running.settings, settings)) await restart(running.seed, settings);
        return {};
      }),
    connections: async () => (running ? describeConnections(running.node) : []),
    turnCredentials: async () => (running && (await running.node.turn.credentials())) ?? null,
    trace: async ({ on }) => {
      if (!on) return trace.take();
      trace.start();
      return [];
    },
  };
  const close = () =>
    serial(async () => {
      const previous = running;
      running = undefined;
      await previous?.stop();
    });
  return { handlers, hasPeers: () => (running?.node.transport.peers().length ?? 0) > 0, close };
}

/** Dials the configured relays and the remembered peers that are not connected (failures are expected). */
async function redial(
  running: Running,
  knownPeers: KnownPeerStore | undefined,
  logger: Logger,
): Promise<void> {
  const { transport } = running.node;
  const targets = [...running.settings.relays];
  for (const peer of (await knownPeers?.load()) ?? []) {
    if (!transport.peers().includes(peer.serverName)) targets.push(...peer.addrs);
  }
  const results = await Promise.allSettled(targets.map((addr) => transport.addPeer(addr)));
  const failed = results.filter((r) => r.status === 'rejected').length;
  if (failed > 0) logger.debug('some addresses could not be reached', { failed, of: targets.length });
}

function describeConnections(node: BrowserNode): ConnectionInfo[] {
  return node.libp2p.getConnections().map((c) => ({
    peerId: c.remotePeer.toString(),
    serverName: peerIdToServerName(c.remotePeer) ?? null,
    remoteAddr: c.remoteAddr.toString(),
    direction: c.direction,
    direct: c.direct,
    multiplexer: c.multiplexer ?? null,
    encryption: c.encryption ?? null,
    limited: c.limits !== undefined,
    status: c.status,
    usable: node.usable(c),
    opened: c.timeline.open,
  }));
}
