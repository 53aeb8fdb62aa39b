// The `serve` command's peer-to-peer side: the libp2p transport with the
// homeserver's own key (server name = PeerId), the relays it joins, the peers
// it is told about by multiaddr, and the peers it remembers across restarts
// in `<data>/known-peers.json`.
import { join } from 'node:path';
import { multiaddr } from '@multiformats/multiaddr';
import type { Logger } from '../../core/public.ts';
import type { Libp2pPeerTransport } from '../../platform/libp2p/libp2p-transport.ts';
import { createLibp2pTransport } from './create-libp2p-transport.ts';
import { knownPeersFile } from './known-peers-file.ts';

export interface ServeNetworkOptions {
  /** The homeserver's Ed25519 seed (bootstrapIdentity): one identity for Matrix and libp2p. */
  readonly seed: Uint8Array;
  /** The `--data` directory, where known peers are kept; absent: nothing is remembered. */
  readonly dataDir?: string;
  readonly listen?: readonly string[];
  readonly relays?: readonly string[];
  /** Peers to connect to by multiaddr (ending in /p2p/<id>). */
  readonly peers?: readonly string[];
  readonly logger: Logger;
}

export function isMultiaddr(addr: string): boolean {
  try {
    multiaddr(addr);
    return true;
  } catch {
    return false;
  }
}

export async function startServeNetwork(options: ServeNetworkOptions): Promise<Libp2pPeerTransport> {
  const { dataDir, logger } = options;
  const transport = await createLibp2pTransport({
    seed: options.seed,
    ...(options.listen?.length ? { listen: options.listen } : {}),
    relays: options.relays ?? [],
    logger,
    ...(dataDir !== undefined && { knownPeers: knownPeersFile(join(dataDir, 'known-peers.json')) }),
  });
  // A peer that is offline now is not an error of ours: connect in the background, warn on failure.
  for (const addr of options.peers ?? []) {
    transport.addPeer(addr).catch((err: unknown) => {
      logger.warn('could not connect to --peer', { addr, error: String(err) });
    });
  }
  return transport;
}
