// Peers we have talked to, remembered across restarts through a store the
// composition root provides (a file in Node, IndexedDB in the extension), and
// the auto-dial of peers that discovery or that store tell us about.

import type { Libp2p, PeerId } from '@libp2p/interface';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import type { Logger } from '../../core/public.ts';
import { peerIdToServerName, serverNameToPeerId } from './identity.ts';

export interface KnownPeer {
  readonly serverName: string;
  readonly addrs: readonly string[];
}

export interface KnownPeerStore {
  /** Oldest saved first. */
  load(): Promise<readonly KnownPeer[]>;
  /** Insert or replace the entry for `peer.serverName`. */
  save(peer: KnownPeer): Promise<void>;
}

const MAX_SAVED_ADDRS = 16;
/**
 * Stored peers dialled at start, the most recently saved ones: the stores
 * keep up to 1,024, and dialling every peer that ever connected (with the
 * addresses it advertised) would let anyone who once connected make us dial
 * whatever they listed, each start.
 */
const MAX_RESTORE_DIALS = 32;

export interface KnownPeers {
  /** Dials every stored peer (in the background; failures are expected for peers that are offline). */
  restore(): Promise<void>;
  /** Adds addresses for a peer and connects to it unless already connected. */
  connect(peerId: PeerId, addrs: readonly Multiaddr[]): Promise<void>;
  /** Saves a peer we are connected to, with the addresses we know for it. */
  remember(peerId: PeerId): void;
  /** Waits for pending saves. */
  flush(): Promise<void>;
}

export function trackKnownPeers(
  libp2p: Libp2p,
  store: KnownPeerStore | undefined,
  logger: Logger,
): KnownPeers {
  const pending = new Set<Promise<void>>();
  const track = (work: Promise<void>) => {
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };

  const connect = async (peerId: PeerId, addrs: readonly Multiaddr[]) => {
    try {
      if (addrs.length > 0) await libp2p.peerStore.merge(peerId, { multiaddrs: [...addrs] });
      if (libp2p.getConnections(peerId).length === 0) await libp2p.dial(peerId);
    } catch (err) {
      logger.debug('could not connect to a discovered peer', { peer: peerId.toString(), error: String(err) });
    }
  };

  const save = async (peerId: PeerId) => {
    const serverName = peerIdToServerName(peerId);
    if (!store || !serverName) return;
    try {
      const peer = await libp2p.peerStore.get(peerId);
      const addrs = peer.addresses.slice(0, MAX_SAVED_ADDRS).map((a) => a.multiaddr.toString());
      await store.save({ serverName, addrs });
    } catch (err) {
      logger.warn('could not save a known peer', { serverName, error: String(err) });
    }
  };

  const restore = async () => {
    if (!store) return;
    try {
      for (const peer of (await store.load()).slice(-MAX_RESTORE_DIALS)) {
        const peerId = serverNameToPeerId(peer.serverName);
        if (peerId && !peerId.equals(libp2p.peerId)) void connect(peerId, parseAddrs(peer.addrs));
      }
    } catch (err) {
      logger.warn('could not load known peers', { error: String(err) });
    }
  };

  return {
    restore,
    connect,
    remember: (peerId) => track(save(peerId)),
    flush: async () => {
      await Promise.all(pending);
    },
  };
}

function parseAddrs(texts: readonly string[]): Multiaddr[] {
  const out: Multiaddr[] = [];
  for (const text of texts) {
    try {
      out.push(multiaddr(text));
    } catch {
      // skip an address we can no longer parse
    }
  }
  return out;
}
