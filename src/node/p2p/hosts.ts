// The host a connection comes from, for per-host limits on the relay:
// identities are free, so a limit per peer id alone lets one machine take a
// whole relay with fresh keys; its address is what it cannot multiply as
// cheaply.
import type { Connection, Libp2p, PeerId } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';

const HOST_PROTOCOLS = new Set(['ip4', 'ip6', 'dns', 'dns4', 'dns6', 'dnsaddr']);

/** The address's host (`127.0.0.1`, `::1`, a DNS name), or the whole address when it names none. */
export function hostOf(addr: Multiaddr): string {
  const host = addr.getComponents().find((c) => HOST_PROTOCOLS.has(c.name));
  return host?.value ?? addr.toString();
}

/** The host of a peer's direct connection to us; undefined when it has none. */
export function hostOfPeer(libp2p: Libp2p, peer: PeerId): string | undefined {
  const direct = libp2p.getConnections(peer).find((c) => c.limits === undefined);
  return direct && hostOf(direct.remoteAddr);
}

/** Our direct connections from `host`. */
export function connectionsFrom(connections: readonly Connection[], host: string): number {
  return connections.filter((c) => c.limits === undefined && hostOf(c.remoteAddr) === host).length;
}
