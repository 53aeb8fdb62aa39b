// Chrome's NodeLink (node-link-api.ts), given the browser's parts
// (node-link.ts wires them): the node runs in the offscreen document
// (offscreen.ts), which connects a runtime port named NODE_PORT_NAME to the
// worker. Only that document may: a port of that name from anywhere else (a
// content script, another extension page) is closed.
// Beside the port, the document posts this worker a MessagePort for the
// requests and replies (offscreen.ts, port-rpc.ts `attach`), named by a token
// it also sends on the port: the two are paired here. An offered MessagePort
// from anywhere else is closed too: whoever holds the worker's end of the
// channel answers the homeserver's calls to the node.
// The document also offers a MessagePort to the verifier Worker on each
// connection (offscreen.ts, verifier-offers.ts): taken here by the same check and
// handed to `deps.onVerifierPort` (verifier-link.ts), else closed.
import {
  type HostRequests,
  isNodeChannelToken,
  NODE_PORT_NAME,
  type NodeEvent,
  type NodeRequests,
} from '../../src/platform/web/node-wire.ts';
import {
  LinkClosedError,
  PortRpc,
  type RpcChannel,
  type RpcHandlers,
} from '../../src/platform/web/port-rpc.ts';
import { isVerifierOffer, VERIFIER_CHANNEL } from '../../src/platform/web/verifier-wire.ts';
import type { NodeLink, NodeLinkDeps, NodeLinkHost, NodePort } from './node-link-api.ts';

/** How long a call waits for the offscreen document to connect before it fails. */
const CONNECT_TIMEOUT_MS = 15_000;

/** MessagePorts offered by the document and not yet paired with its port, kept at most (the oldest closed). */
export const MAX_OFFERS = 4;

/** The service worker's `message` event (the part used): a MessagePort offered by a client. */
export interface ChannelOfferEvent {
  readonly data: unknown;
  readonly ports: readonly RpcChannel[];
  /** The client that posted it. */
  readonly source: { readonly url?: string } | null;
}

/** The browser's parts (node-link.ts). */
export interface OffscreenPlatform {
  /** Creates the offscreen document, or wakes one that exists (offscreen-document.ts). */
  readonly document: { ensure(): Promise<void> };
  readonly extensionId: string;
  /** The offscreen document's URL (OFFSCREEN_PAGE under the extension's origin). */
  readonly offscreenUrl: string;
  /** Listens to the worker's `message` events (registered at once, at the worker's top level). */
  readonly onChannelOffer: (listener: (evt: ChannelOfferEvent) => void) => void;
}

type Rpc = PortRpc<HostRequests, NodeRequests, NodeEvent>;

export function offscreenLink(deps: NodeLinkDeps, platform: OffscreenPlatform): NodeLink {
  const { document } = platform;
  const isOffscreenUrl = (url: string | undefined) => url === platform.offscreenUrl;
  let rpc: Rpc | undefined;
  let waiters: ((rpc: Rpc) => void)[] = [];
  let resolveHost!: (host: NodeLinkHost) => void;
  const host = new Promise<NodeLinkHost>((resolve) => {
    resolveHost = resolve;
  });
  // Requests may arrive before the homeserver knows its identity: they wait for it.
  const handlers: RpcHandlers<HostRequests> = {
    incoming: async (params) => (await host).handlers.incoming(params),
    readStream: async (params) => (await host).handlers.readStream(params),
    cancelStream: async (params) => (await host).handlers.cancelStream(params),
  };

  /** The current port's channel token, once it said it. */
  let token: string | undefined;
  const offers = new Map<string, RpcChannel>();
  const pair = () => {
    const channel = token === undefined ? undefined : offers.get(token);
    if (!rpc || !channel) return;
    offers.delete(token!);
    rpc.attach(channel, true);
  };
  // Every MessagePort the worker is offered, sorted by kind.
  platform.onChannelOffer((evt) => {
    const port = evt.ports[0];
    const offer = isNodeChannelToken(evt.data) || isVerifierOffer(evt.data) ? evt.data : undefined;
    if (!port || !offer) return;
    if (!isOffscreenUrl(evt.source?.url)) {
      port.close();
      return;
    }
    if (offer.kind === VERIFIER_CHANNEL) {
      if (deps.onVerifierPort) deps.onVerifierPort(port);
      else port.close();
      return;
    }
    offers.set(offer.token, port);
    for (const [old, stale] of offers) {
      if (offers.size <= MAX_OFFERS) break;
      offers.delete(old);
      stale.close();
    }
    pair();
  });

  const fromOffscreenDocument = (sender: NodePort['sender']) =>
    sender?.id === platform.extensionId && sender.tab === undefined && isOffscreenUrl(sender.url);

  const connected = async (): Promise<Rpc> => {
    if (rpc && !rpc.closed) return rpc;
    const arrival = new Promise<Rpc>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters = waiters.filter((w) => w !== done);
        reject(new LinkClosedError('the offscreen document did not connect'));
      }, CONNECT_TIMEOUT_MS);
      const done = (value: Rpc) => {
        clearTimeout(timer);
        resolve(value);
      };
      waiters.push(done);
    });
    try {
      await document.ensure();
    } catch (err) {
      const message = `The offscreen document for the peer-to-peer node could not be created: ${String(err)}`;
      deps.reportError(message);
      throw new LinkClosedError(message);
    }
    return arrival;
  };

  return {
    async call(type, params, timeoutMs) {
      return (await connected()).call(type, params, timeoutMs);
    },
    serve: resolveHost,
    accept(port) {
      if (port.name !== NODE_PORT_NAME) return;
      if (!fromOffscreenDocument(port.sender)) {
        deps.logger.warn('a node port from somewhere else than the offscreen document was closed');
        port.disconnect();
        return;
      }
      rpc?.close();
      const current: Rpc = new PortRpc(port, {
        handlers,
        onEvent: (event) => void host.then((h) => h.onEvent(event)),
        onClose: () => {
          if (rpc !== current) return;
          rpc = undefined;
          void host.then((h) => h.onDisconnected());
        },
      });
      rpc = current;
      token = undefined;
      port.onMessage.addListener((message) => {
        if (rpc !== current || !isNodeChannelToken(message)) return;
        token = message.token;
        pair();
      });
      for (const waiter of waiters.splice(0)) waiter(current);
      void host.then((h) => h.onConnected());
    },
  };
}
