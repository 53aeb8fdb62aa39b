// The Node peer's libp2p node (websockets, circuit relay client, Noise, yamux,
// identify, ping) wrapped as a PeerTransport. Loopback only unless the caller
// passes other listen addresses.

import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { identify } from '@libp2p/identify';
import { noise } from '@libp2p/noise';
import { ping } from '@libp2p/ping';
import { webSockets } from '@libp2p/websockets';
import { yamux } from '@libp2p/yamux';
import { multiaddr } from '@multiformats/multiaddr';
import type { Libp2p } from '@libp2p/interface';
import { createLibp2p } from 'libp2p';
import type { Logger, TransportLimits } from '../../core/public.ts';
import { privateKeyFromSeed } from '../../platform/libp2p/identity.ts';
import type { KnownPeerStore } from '../../platform/libp2p/known-peers.ts';
import { type Libp2pPeerTransport, startLibp2pTransport } from '../../platform/libp2p/libp2p-transport.ts';
import { oneMessagePerWebSocketWrite } from '../../platform/libp2p/websocket-writes.ts';

/** Websockets on 127.0.0.1 with a port the OS picks. */
export const DEFAULT_LISTEN = '/ip4/127.0.0.1/tcp/0/ws';

export interface NodeTransportOptions {
  /** The server's 32-byte Ed25519 seed; its public key (hex) is the server name. */
  readonly seed: Uint8Array;
  /** Default: DEFAULT_LISTEN; empty: no listener (reachable only through relays). */
  readonly listen?: readonly string[];
  /** Relay multiaddrs (ending in /p2p/<id>) to join: discovery, and reachability through circuits. */
  readonly relays?: readonly string[];
  readonly knownPeers?: KnownPeerStore;
  readonly limits?: Partial<TransportLimits>;
  readonly logger?: Logger;
}

export async function createLibp2pTransport(options: NodeTransportOptions): Promise<Libp2pPeerTransport> {
  const relays = (options.relays ?? []).map((addr) => multiaddr(addr));
  const libp2p = await createNodeLibp2p(options);
  try {
    return await startLibp2pTransport({ libp2p, relays, ...pick(options) });
  } catch (err) {
    await libp2p.stop();
    throw err;
  }
}

/** The Node peer's libp2p node, not started as a transport yet (createLibp2pTransport does). */
export async function createNodeLibp2p(
  options: Pick<NodeTransportOptions, 'seed' | 'listen' | 'relays'>,
): Promise<Libp2p> {
  const listen = [...(options.listen ?? [DEFAULT_LISTEN])];
  // Reserve a slot on our relays so peers that cannot dial us directly (browsers) reach us through them.
  if ((options.relays ?? []).length > 0) listen.push('/p2p-circuit');
  return createLibp2p({
    privateKey: await privateKeyFromSeed(options.seed),
    addresses: { listen },
    transports: [webSockets(), circuitRelayTransport()],
    connectionEncrypters: [oneMessagePerWebSocketWrite(noise())],
    streamMuxers: [yamux()],
    // Peers on the same LAN or host are legitimate here; libp2p would refuse private addresses otherwise.
    connectionGater: { denyDialMultiaddr: () => false },
    // libp2p's default of 5 new connections per second per host is too tight for several peers behind one NAT.
    connectionManager: { inboundConnectionThreshold: 25 },
    services: { identify: identify(), ping: ping() },
  });
}

function pick({ knownPeers, limits, logger }: NodeTransportOptions) {
  return { ...(knownPeers && { knownPeers }), ...(limits && { limits }), ...(logger && { logger }) };
}
