// The background's side of the libp2p node: keeps the node started with the
// homeserver's identity and the user's settings, gives the homeserver its
// PeerTransport (offscreen-peer-transport.ts) and the popup its NetworkView.
//
// Each time the link to the node comes (back) up, the node is told to start
// (a node already running with this identity and these settings stays as it
// is) and its list of connected servers replaces ours: a worker that Chrome
// stopped and started again learns the peers that stayed connected meanwhile.
import type { Span } from '../../src/platform/trace.ts';
import { type Logger, type TurnSource, VERSION_PATH } from '../../src/core/public.ts';
import { encodeBase64 } from '../../src/core/protocol.ts';
import type { NetworkSettings } from '../../src/platform/web/network-settings.ts';
import type { ConnectionInfo, NodeEvent } from '../../src/platform/web/node-wire.ts';
import type { NetworkState } from '../../src/platform/web/popup-messages.ts';
import type { NodeLink } from './node-link-api.ts';
import { NetworkUnavailableError, type NetworkView } from './network-view.ts';
import { OffscreenPeerTransport } from './offscreen-peer-transport.ts';
import { createPeerNames } from './peer-names.ts';

/** How long the popup waits for the node's picture before it says the node cannot be reached. */
const SNAPSHOT_TIMEOUT_MS = 5_000;
/** A peer's name is a nicety: ask briefly. */
const NAME_TIMEOUT_MS = 5_000;
/** The node asks each relay for at most 5 s; two relays and the link fit. */
const TURN_TIMEOUT_MS = 12_000;

export interface NetworkNodeDeps {
  readonly link: NodeLink;
  readonly settings: () => Promise<NetworkSettings>;
  readonly logger: Logger;
  /** Shows a node failure as the background's last error (the popup's status line). */
  readonly reportError: (message: string) => void;
}

export interface NodeIdentity {
  readonly serverName: string;
  readonly seed: Uint8Array;
}

export interface NetworkNode {
  readonly view: NetworkView;
  /** The transport for createHomeserver; starts the node with this identity. */
  start(identity: NodeIdentity): OffscreenPeerTransport;
  /** The node's libp2p connections (tests: is the link to a peer direct WebRTC?). */
  connections(): Promise<readonly ConnectionInfo[]>;
  /** Benches: starts the node's trace (`on`), or stops it and answers its spans. */
  trace(on: boolean): Promise<readonly Span[]>;
  /** TURN credentials from the node's relays, for the homeserver's `/voip/turnServer`. */
  readonly turn: TurnSource;
}

export function createNetworkNode(deps: NetworkNodeDeps): NetworkNode {
  const { link, logger } = deps;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of listeners) listener();
  };
  let transport: OffscreenPeerTransport | undefined;
  let identity: NodeIdentity | undefined;
  let starting: Promise<void> | undefined;
  const names = createPeerNames({
    version: async (serverName) => {
      if (!transport || !identity) throw new Error('no node yet');
      const req = { method: 'GET', path: VERSION_PATH, origin: identity.serverName };
      return (await transport.request(serverName, req, { timeoutMs: NAME_TIMEOUT_MS })).body;
    },
    changed: notify,
  });

  let again = false;
  // One start at a time; a link that came back meanwhile gets one more round.
  const ensureStarted = () => {
    if (!identity || !transport) return;
    if (starting) {
      again = true;
      return;
    }
    const { seed } = identity;
    const node = transport;
    starting = (async () => {
      do {
        again = false;
        try {
          await link.call('start', { seed: encodeBase64(seed), settings: await deps.settings() });
          node.syncPeers((await link.call('status', {})).peers);
        } catch (err) {
          logger.warn('the peer-to-peer node did not start', { error: String(err) });
        }
      } while (again);
    })().finally(() => {
      starting = undefined;
      notify();
    });
  };

  const onEvent = (event: NodeEvent) => {
    if (event.type === 'peer') {
      transport?.peerChanged(event.serverName, event.state);
      if (event.state === 'up') names.forget(event.serverName);
    } else if (event.type === 'error') deps.reportError(event.message);
    if (event.type !== 'keepalive') notify();
  };

  const view: NetworkView = {
    async snapshot(): Promise<NetworkState> {
      try {
        const state = await link.call('snapshot', {}, SNAPSHOT_TIMEOUT_MS);
        if (state.state === 'unavailable') return state;
        const peers = state.peers.map((peer) => {
          const name = names.nameOf(peer.serverName);
          return name === undefined ? peer : { ...peer, name };
        });
        return { ...state, peers };
      } catch (err) {
        const reason = `The peer-to-peer node cannot be reached: ${err instanceof Error ? err.message : String(err)}`;
        return { state: 'unavailable', reason, peers: [], relays: [] };
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dial: async (multiaddr) => {
      await command(() => link.call('dial', { multiaddr }));
    },
    reconnect: async () => {
      await command(() => link.call('reconnect', {}));
    },
    applySettings: async (settings) => {
      await command(() => link.call('applySettings', { settings }));
    },
  };

  return {
    view,
    start(id) {
      identity = id;
      transport = new OffscreenPeerTransport(id.serverName, link);
      link.serve({
        handlers: { incoming: (params) => transport!.serveIncoming(params), ...transport.streamHandlers },
        onEvent,
        onConnected: ensureStarted,
        onDisconnected: () => {
          transport?.syncPeers([]);
          notify();
        },
      });
      ensureStarted();
      return transport;
    },
    connections: () => link.call('connections', {}),
    trace: (on) => link.call('trace', { on }),
    turn: {
      credentials: async () => (await link.call('turnCredentials', {}, TURN_TIMEOUT_MS)) ?? undefined,
    },
  };
}

/** Runs a popup command on the node; a link failure becomes NetworkUnavailableError, in words. */
async function command<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof Error && err.name === 'LinkClosedError') {
      throw new NetworkUnavailableError(`The peer-to-peer node cannot be reached: ${err.message}`);
    }
    throw err;
  }
}
