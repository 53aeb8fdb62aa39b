// A KnownPeerStore in one JSON file for the Node peer, so the peers it has
// talked to are dialled again after a restart. Written to a temporary file
// and renamed, so a crash mid-write leaves the previous list intact.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isServerName } from '../../core/public.ts';
import type { KnownPeer, KnownPeerStore } from '../../platform/libp2p/known-peers.ts';

/** Stops a flood of distinct peers from growing the file without bound (the oldest saved go first). */
const MAX_PEERS = 1024;
/** Addresses kept per peer, also when a file written by hand or an older version has more. */
const MAX_ADDRS = 16;

export function knownPeersFile(path: string): KnownPeerStore {
  let loaded: Promise<Map<string, KnownPeer>> | undefined;
  let writing = Promise.resolve();

  const read = async (): Promise<Map<string, KnownPeer>> => {
    const peers = new Map<string, KnownPeer>();
    try {
      const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
      for (const peer of Array.isArray(parsed) ? parsed : [])
        if (isKnownPeer(peer)) {
          peers.delete(peer.serverName);
          peers.set(peer.serverName, { serverName: peer.serverName, addrs: peer.addrs.slice(0, MAX_ADDRS) });
        }
      while (peers.size > MAX_PEERS) peers.delete(peers.keys().next().value!);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return peers;
  };
  // Read once; concurrent callers share the same read and the same map.
  const load = () => (loaded ??= read());

  const persist = async (all: Map<string, KnownPeer>) => {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(`${path}.tmp`, JSON.stringify([...all.values()], null, 1));
    await rename(`${path}.tmp`, path);
  };

  return {
    load: async () => [...(await load()).values()],
    save: async (peer) => {
      const all = await load();
      all.delete(peer.serverName);
      all.set(peer.serverName, { serverName: peer.serverName, addrs: [...peer.addrs] });
      while (all.size > MAX_PEERS) all.delete(all.keys().next().value!);
      writing = writing.catch(() => {}).then(() => persist(all));
      await writing;
    },
  };
}

function isKnownPeer(value: unknown): value is KnownPeer {
  const peer = value as Partial<KnownPeer> | null;
  return (
    typeof peer?.serverName === 'string' &&
    isServerName(peer.serverName) &&
    Array.isArray(peer.addrs) &&
    peer.addrs.every((addr) => typeof addr === 'string')
  );
}
