// What the popup needs from the libp2p node (the offscreen document in
// Chrome, the event page in Firefox): a snapshot of its connections and a few
// commands. The node's composition root implements it; until the node exists,
// or while it cannot be reached, the popup is told so and shown no peers.
import type { NetworkSettings } from '../../src/platform/web/network-settings.ts';
import type { NetworkState } from '../../src/platform/web/popup-messages.ts';

/** The peer-to-peer node cannot do what was asked (not built in, not started, or gone). */
export class NetworkUnavailableError extends Error {
  override readonly name = 'NetworkUnavailableError';
}

export interface NetworkView {
  /** The node's connections now (never invented: 'unavailable' when the node cannot say). */
  snapshot(): Promise<NetworkState>;
  /** Calls `listener` whenever a peer or relay connects, disconnects or gets a new round-trip time. */
  subscribe(listener: () => void): () => void;
  /** Dials a peer by multiaddr (already checked by checkMultiaddr). */
  dial(multiaddr: string): Promise<void>;
  /** Redials the configured relays and the known peers now. */
  reconnect(): Promise<void>;
  /** The settings changed (relays, ICE servers, display name): use them from now on. */
  applySettings(settings: NetworkSettings): Promise<void>;
}

export const NO_NODE_REASON = 'No peer-to-peer node is attached to this homeserver.';

/** The view while there is no node: no peers, every command refused in words. */
export function unavailableNetwork(reason = NO_NODE_REASON): NetworkView {
  const refuse = async () => {
    throw new NetworkUnavailableError(reason);
  };
  return {
    snapshot: async () => ({ state: 'unavailable', reason, peers: [], relays: [] }),
    subscribe: () => () => {},
    dial: refuse,
    reconnect: refuse,
    // The settings are saved; a node started later reads them.
    applySettings: async () => {},
  };
}
