// Turns a relayed connection to another browser into a direct WebRTC one.
//
// Dialling a peer by id lets libp2p choose among the addresses discovery
// gave it, and it may well pick the plain circuit (`…/p2p-circuit/p2p/<id>`):
// a "limited" connection through the relay, which the relay cuts after two
// minutes or 1 MiB (src/node/relay.ts). So whenever we opened such a
// connection, we dial the same peer's WebRTC address through the same relay
// (`…/p2p-circuit/webrtc/p2p/<id>`); the relay then carries only the SDP
// offer, answer and ICE candidates, and federation moves to the direct
// connection (libp2p-transport.ts prefers connections without limits).
// Only the side that opened the relayed connection upgrades, so two browsers
// do not race to open two WebRTC connections to each other.

import type { Connection, Libp2p } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { type Logger, silentLogger } from '../../core/public.ts';

const CIRCUIT = '/p2p-circuit';

export interface WebRTCUpgrade {
  stop(): void;
}

/** The WebRTC address behind the same relay as a relayed connection's remote address, if it has one. */
export function webRTCAddressFor(remoteAddr: string, peerId: string): string | undefined {
  const at = remoteAddr.lastIndexOf(CIRCUIT);
  if (at < 0 || remoteAddr.includes('/webrtc')) return undefined;
  return `${remoteAddr.slice(0, at + CIRCUIT.length)}/webrtc/p2p/${peerId}`;
}

export function upgradeRelayedToWebRTC(libp2p: Libp2p, logger: Logger = silentLogger): WebRTCUpgrade {
  const dialling = new Set<string>();
  const hasDirect = (conn: Connection) =>
    libp2p.getConnections(conn.remotePeer).some((c) => c.status === 'open' && !c.limits);

  const onOpen = (evt: CustomEvent<Connection>) => {
    const conn = evt.detail;
    const peer = conn.remotePeer.toString();
    if (!conn.limits || conn.direction !== 'outbound' || dialling.has(peer) || hasDirect(conn)) return;
    const target = webRTCAddressFor(conn.remoteAddr.toString(), peer);
    if (!target) return;
    dialling.add(peer);
    libp2p
      .dial(multiaddr(target))
      .catch((err: unknown) =>
        logger.debug('no WebRTC connection to a relayed peer', { peer, error: String(err) }),
      )
      .finally(() => dialling.delete(peer));
  };

  libp2p.addEventListener('connection:open', onOpen);
  return { stop: () => libp2p.removeEventListener('connection:open', onOpen) };
}
