// The browser's libp2p node (the extension's offscreen document in Chrome, its
// event page in Firefox) wrapped as a PeerTransport: WebRTC between browsers
// (signalled through circuit relays), websockets to relays and Node peers,
// the circuit relay transport with reservations on our relays, identify and
// ping. The Node peer's counterpart is src/node/p2p/create-libp2p-transport.ts.
//
// Privacy: ICE servers come only from the user's settings. libp2p's default
// would ask four third-party STUN servers (Google, Twilio, Cloudflare,
// Mozilla) for our public address on every connection; with none configured,
// only host candidates are gathered, which is enough on one LAN or one host.
// Where a direct attempt fails, the next one also uses our relays' own TURN
// (turn-fallback.ts), never anyone else's.

import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { identify } from '@libp2p/identify';
import type { Connection, Libp2p, PeerId } from '@libp2p/interface';
import { noise } from '@libp2p/noise';
import { ping } from '@libp2p/ping';
import { webRTC } from '@libp2p/webrtc';
import { webSockets } from '@libp2p/websockets';
import { yamux } from '@libp2p/yamux';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import type { Logger, TransportLimits, TurnSource } from '../../core/public.ts';
import { privateKeyFromSeed } from './identity.ts';
import type { Trace } from '../trace.ts';
import type { KnownPeerStore } from './known-peers.ts';
import { type Libp2pPeerTransport, startLibp2pTransport } from './libp2p-transport.ts';
import { turnFromRelays } from './turn-client.ts';
import { type BrowserIceServer, turnFallback } from './turn-fallback.ts';
import { upgradeRelayedToWebRTC, webRTCDialGate } from './webrtc-upgrade.ts';
import { oneMessagePerWebSocketWrite } from './websocket-writes.ts';

export type { BrowserIceServer };

export interface BrowserNodeOptions {
  /** The server's 32-byte Ed25519 seed; its public key (hex) is the server name. */
  readonly seed: Uint8Array;
  /** Relay multiaddrs ending in /p2p/<relay id> (websockets: a browser dials nothing else). */
  readonly relays: readonly string[];
  /** STUN/TURN servers for WebRTC; none by default. */
  readonly iceServers: readonly BrowserIceServer[];
  readonly knownPeers?: KnownPeerStore;
  readonly limits?: Partial<TransportLimits>;
  readonly logger?: Logger;
  /** Benches: where a federation request's time goes inside the node (libp2p-transport.ts). */
  readonly trace?: Trace;
}

export interface BrowserNode {
  readonly transport: Libp2pPeerTransport;
  readonly libp2p: Libp2p;
  /** Round trip to a connected peer with the ping protocol, in ms. */
  ping(peer: PeerId): Promise<number>;
  /** False for a WebRTC connection not yet proven to carry streams (federation passes it over). */
  usable(conn: Connection): boolean;
  /** TURN credentials from our relays, for the homeserver's `/voip/turnServer`. */
  readonly turn: TurnSource;
}

export async function createBrowserNode(options: BrowserNodeOptions): Promise<BrowserNode> {
  const fallback = turnFallback(options.iceServers, options.logger);
  const gate = webRTCDialGate();
  const libp2p = await createLibp2p({
    privateKey: await privateKeyFromSeed(options.seed),
    // Reserve a slot on every relay we are connected to, and accept WebRTC signalled through it.
    addresses: { listen: ['/p2p-circuit', '/webrtc'] },
    transports: [
      webSockets(),
      webRTC({ rtcConfiguration: fallback.rtcConfiguration }),
      circuitRelayTransport(),
    ],
    connectionEncrypters: [oneMessagePerWebSocketWrite(noise())],
    streamMuxers: [yamux()],
    // A browser's default gater refuses private and loopback addresses: relays on the LAN or on this
    // machine are legitimate here (the user configured them). WebRTC addresses are dialled by the
    // upgrade alone (webrtc-upgrade.ts).
    connectionGater: { denyDialMultiaddr: (addr) => gate.denyDialMultiaddr(addr) },
    services: { identify: identify(), ping: ping() },
  });
  const relays = options.relays.map((addr) => multiaddr(addr));
  const turn = turnFromRelays(libp2p, relays, options.logger);
  const upgrade = upgradeRelayedToWebRTC(libp2p, options.logger, undefined, fallback, gate);
  try {
    await fallback.start(libp2p, turn);
    const transport = await startLibp2pTransport({
      libp2p,
      usable: upgrade.usable,
      relays,
      ...(options.knownPeers && { knownPeers: options.knownPeers }),
      ...(options.limits && { limits: options.limits }),
      ...(options.logger && { logger: options.logger }),
      ...(options.trace && { trace: options.trace }),
    });
    return {
      transport: {
        ...transport,
        close: async () => {
          upgrade.stop();
          await fallback.stop();
          return transport.close();
        },
      },
      libp2p,
      ping: (peer) => libp2p.services.ping.ping(peer),
      usable: upgrade.usable,
      turn,
    };
  } catch (err) {
    upgrade.stop();
    await fallback.stop();
    await libp2p.stop();
    throw err;
  }
}
