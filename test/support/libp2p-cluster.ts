// Homeservers in one process that federate over the real wire: each has its
// own libp2p node (websockets on 127.0.0.1, Noise, yamux, the federation
// protocol's frames) and finds the others through a relay started here. The
// attacks in test/node/hostile/ come from a rogue peer with a libp2p node of
// its own (libp2pRogue), so every hostile request crosses the same codec,
// stream limits and origin binding as a real attacker's would.
import type { TransportLimits } from '../../src/core/public.ts';
import { createLibp2pTransport } from '../../src/node/p2p/create-libp2p-transport.ts';
import { type Relay, startRelay } from '../../src/node/relay.ts';
import type { Libp2pPeerTransport } from '../../src/platform/libp2p/libp2p-transport.ts';
import { type ClusterOptions, type RunningNode, seedFor, startFederatedNode } from './federated-cluster.ts';

export interface Libp2pCluster {
  readonly relay: Relay;
  readonly nodes: readonly RunningNode[];
  /** A libp2p node of the attacker's own (its key from `seedByte`), on the same relay, once it reaches every node. */
  rogueTransport(seedByte: number, limits?: Partial<TransportLimits>): Promise<Libp2pPeerTransport>;
  close(): Promise<void>;
}

export interface Libp2pClusterOptions extends ClusterOptions {
  /** The honest nodes' transport limits (default: the transport's own). */
  readonly limits?: Partial<TransportLimits>;
}

export async function createLibp2pCluster(
  labels: readonly string[],
  options: Libp2pClusterOptions = {},
): Promise<Libp2pCluster> {
  const relay = await startRelay();
  const transports: Libp2pPeerTransport[] = [];
  const nodes: RunningNode[] = [];
  const transport = async (seed: Uint8Array, limits = options.limits) => {
    const t = await createLibp2pTransport({
      seed,
      relays: relay.multiaddrs,
      ...(limits && { limits }),
    });
    transports.push(t);
    return t;
  };
  try {
    for (const label of labels)
      nodes.push(await startFederatedNode({ label, transport: await transport(seedFor(label)), options }));
    // Handed out once every node reaches every other: until the relay's directory has
    // introduced them, a node knows no address of the others and a request fails as unreachable.
    const names = nodes.map((n) => n.serverName);
    await Promise.all(
      transports.map((t) =>
        connectedTo(
          t,
          names.filter((name) => name !== t.serverName),
        ),
      ),
    );
  } catch (err) {
    await Promise.all(transports.map((t) => t.close()));
    await relay.stop();
    throw err;
  }
  return {
    relay,
    nodes,
    async rogueTransport(seedByte, limits) {
      const rogue = await transport(new Uint8Array(32).fill(seedByte), limits);
      await connectedTo(
        rogue,
        nodes.map((n) => n.serverName),
      );
      return rogue;
    },
    async close() {
      for (const node of nodes) {
        await node.stop();
        await node.store.close();
      }
      await Promise.all(transports.map((t) => t.close()));
      await relay.stop();
    },
  };
}

/** Resolves once `transport` is connected to every one of `serverNames` (found through the relay). */
function connectedTo(transport: Libp2pPeerTransport, serverNames: readonly string[]): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      const peers = new Set(transport.peers());
      if (serverNames.every((name) => peers.has(name))) resolve();
    };
    transport.onPeer(check);
    check();
  });
}
