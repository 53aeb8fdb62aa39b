// The popup's picture of the node (NetworkState) from its live libp2p
// connections: each connected server with the best way we reach it, and each
// configured relay with whether we hold a connection to it.
import type { Connection, Libp2p } from '@libp2p/interface';
import { serverNameToPeerId } from '../../src/platform/libp2p/identity.ts';
import type {
  ConnectionKind,
  NetworkState,
  PeerEntry,
  RelayEntry,
} from '../../src/platform/web/popup-messages.ts';

export interface SnapshotInput {
  readonly libp2p: Pick<Libp2p, 'getConnections'>;
  /** Server names the federation transport counts as connected. */
  readonly peers: readonly string[];
  /** The configured relays' multiaddrs. */
  readonly relays: readonly string[];
  /** The last ping round trip per peer id, if one was measured. */
  readonly rtt: (peerId: string) => number | undefined;
}

/** Direct WebRTC beats a websocket, which beats a relayed (limited) circuit. */
export function connectionKind(conn: Pick<Connection, 'direct' | 'multiplexer' | 'limits'>): ConnectionKind {
  if (conn.limits) return 'relayed';
  return conn.multiplexer === '/webrtc' ? 'webrtc' : 'websocket';
}

const RANK: Record<ConnectionKind, number> = { webrtc: 0, websocket: 1, relayed: 2 };

export function networkSnapshot(input: SnapshotInput): NetworkState {
  const peers: PeerEntry[] = [];
  for (const serverName of input.peers) {
    const peerId = serverNameToPeerId(serverName);
    if (!peerId) continue;
    const open = input.libp2p.getConnections(peerId).filter((c) => c.status === 'open');
    const best = open.sort((a, b) => RANK[connectionKind(a)] - RANK[connectionKind(b)])[0];
    if (!best) continue;
    const rtt = input.rtt(peerId.toString()) ?? best.rtt;
    peers.push({
      peerId: peerId.toString(),
      serverName,
      kind: connectionKind(best),
      rttMs: rtt ?? null,
      since: best.timeline.open,
    });
  }
  const relays: RelayEntry[] = input.relays.map((addr) => ({
    addr,
    state: relayConnected(input.libp2p, addr) ? 'connected' : 'connecting',
  }));
  const online = peers.length > 0 || relays.some((r) => r.state === 'connected');
  return { state: online ? 'online' : 'offline', peers, relays };
}

function relayConnected(libp2p: Pick<Libp2p, 'getConnections'>, addr: string): boolean {
  const id = addr.slice(addr.lastIndexOf('/p2p/') + '/p2p/'.length);
  return libp2p
    .getConnections()
    .some((c) => c.status === 'open' && !c.limits && c.remotePeer.toString() === id);
}
