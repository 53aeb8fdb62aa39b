// Peer discovery through the relays we are connected to.
//
// Decision: a tiny directory protocol on the relay (`/p2p-matrix/peers/1.0.0`,
// directory-wire.ts), not @libp2p/pubsub-peer-discovery over gossipsub, not
// the DHT.
//  - Latency: a member learns every other member in one round trip when it
//    registers, and later joins are pushed the moment they register. Measured
//    on loopback (bench/federation-transport.bench.ts, "discovery"): 150-170 ms
//    from creating a new Node peer until both existing peers list it as `up`
//    (start, relay dial, Noise, identify, register, push, dial back), on two
//    shared cores; the goal is 5 s.
//    Pubsub discovery (not measured here) announces on start and then on an
//    interval, through a gossipsub mesh that forms on heartbeats, so its
//    latency trades against broadcast traffic; the DHT needs many peers.
//  - Weight: no gossipsub in the browser bundle (the libp2p study's minimal
//    bundle is already 129 KiB gzip), and the relay need not run gossipsub.
//  - Browsers: they cannot be dialled directly, so what others need is their
//    `/p2p-circuit` address on the relay, which the relay adds itself.
// The cost is a central point per relay: a relay knows its members (it knows
// who holds reservations anyway) and a peer trusts it for addresses only; the
// connection's Noise handshake still proves who answers at an address, and
// what a relay may make us hold is bounded (discovered-peers.ts).

import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import type { Logger } from '../../core/public.ts';
import {
  decodeDirectoryMessage,
  DIRECTORY_PROTOCOL,
  type DirectoryMessage,
  encodeDirectoryMessage,
} from './directory-wire.ts';
import { DiscoveredPeers, MAX_DISCOVERED_ADDRS } from './discovered-peers.ts';
import { FrameDecoder } from './frames.ts';
import { parsePeerId } from './identity.ts';

export interface DiscoveryEvents {
  /** A member of some relay's directory, with the addresses to reach it. */
  found(peerId: PeerId, addrs: Multiaddr[]): void;
}

export interface Discovery {
  stop(): Promise<void>;
}

/** Registers with every connected peer that serves the directory (our relays) and reports what they list. */
export async function startDiscovery(
  libp2p: Libp2p,
  events: DiscoveryEvents,
  logger: Logger,
): Promise<Discovery> {
  const streams = new Set<Stream>();
  const discovered = new DiscoveredPeers();
  const evict = (id: string) => {
    const peerId = parsePeerId(id);
    if (!peerId || libp2p.getConnections(peerId).length > 0) return;
    libp2p.peerStore.delete(peerId).catch((err: unknown) => {
      logger.debug('could not forget a discovered peer', { peer: id, error: String(err) });
    });
  };
  const found = (peerId: PeerId, addrs: Multiaddr[]) => {
    for (const id of discovered.pushed(peerId.toString())) evict(id);
    events.found(peerId, addrs);
  };
  const register = (stream: Stream) => sendSafe(stream, { type: 'register', addrs: ownAddrs(libp2p) });

  const join = async (relay: PeerId, conn: Connection) => {
    if (conn.limits) return;
    try {
      const stream = await conn.newStream(DIRECTORY_PROTOCOL);
      streams.add(stream);
      stream.addEventListener('close', () => streams.delete(stream));
      listen(stream, libp2p.peerId, found, logger);
      register(stream);
    } catch (err) {
      logger.debug('could not join a relay directory', { relay: relay.toString(), error: String(err) });
    }
  };
  const topology = await libp2p.register(DIRECTORY_PROTOCOL, {
    onConnect: (peer, conn) => void join(peer, conn),
  });
  const onSelfUpdate = () => streams.forEach(register);
  libp2p.addEventListener('self:peer:update', onSelfUpdate);

  return {
    stop: async () => {
      libp2p.unregister(topology);
      libp2p.removeEventListener('self:peer:update', onSelfUpdate);
      for (const stream of streams) stream.abort(new Error('discovery stopped'));
    },
  };
}

function ownAddrs(libp2p: Libp2p): string[] {
  return libp2p.getMultiaddrs().map((ma) => ma.toString());
}

function sendSafe(stream: Stream, message: DirectoryMessage): void {
  if (stream.writeStatus === 'writable') stream.send(encodeDirectoryMessage(message));
}

type Found = DiscoveryEvents['found'];

function listen(stream: Stream, self: PeerId, found: Found, logger: Logger): void {
  const frames = new FrameDecoder();
  stream.addEventListener('message', (evt) => {
    try {
      const chunk = evt.data instanceof Uint8Array ? evt.data : evt.data.subarray();
      for (const frame of frames.push(chunk)) {
        const message = decodeDirectoryMessage(frame);
        if (message?.type === 'peer') report(message.id, message.addrs, self, found);
      }
    } catch (err) {
      logger.warn('relay directory sent malformed frames', { error: String(err) });
      stream.abort(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

function report(id: string, addrTexts: string[], self: PeerId, found: Found): void {
  const peerId = parsePeerId(id);
  if (!peerId || peerId.equals(self)) return;
  const addrs: Multiaddr[] = [];
  for (const text of addrTexts.slice(0, MAX_DISCOVERED_ADDRS)) {
    try {
      const ma = multiaddr(text);
      const last = ma.getComponents().at(-1);
      if (last?.name === 'p2p' && last.value === id) addrs.push(ma);
    } catch {
      // one bad address does not spoil the others
    }
  }
  if (addrs.length > 0) found(peerId, addrs);
}
