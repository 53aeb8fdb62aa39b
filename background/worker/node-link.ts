// Chrome's NodeLink (node-link-api.ts): the node runs in the offscreen
// document (offscreen.ts), which connects a runtime port named
// NODE_PORT_NAME to the worker. Only that document may: a port of that name
// from anywhere else (a content script, another extension page) is closed.
// Beside the port, the document posts this worker a MessagePort for the
// requests and replies (offscreen.ts, port-rpc.ts `attach`), named by a token
// it also sends on the port: the two are paired here.
// The Firefox build swaps this file for node-link.firefox.ts.
import { ext } from '../../src/platform/web/ext-api.ts';
import {
  type HostRequests,
  isNodeChannelOffer,
  isNodeChannelToken,
  NODE_PORT_NAME,
  type NodeEvent,
  type NodeRequests,
  OFFSCREEN_PAGE,
} from '../../src/platform/web/node-wire.ts';
import { LinkClosedError, PortRpc, type RpcHandlers } from '../../src/platform/web/port-rpc.ts';
import type { NodeLink, NodeLinkDeps, NodeLinkHost, NodePort } from './node-link-api.ts';
import { offscreenDocument } from './offscreen-document.ts';

/** How long a call waits for the offscreen document to connect before it fails. */
const CONNECT_TIMEOUT_MS = 15_000;

/** MessagePorts offered by the document and not yet paired with its port, kept at most (the oldest closed). */
const MAX_OFFERS = 4;

type Rpc = PortRpc<HostRequests, NodeRequests, NodeEvent>;

export function createNodeLink(deps: NodeLinkDeps): NodeLink {
  const document = offscreenDocument();
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
  const offers = new Map<string, MessagePort>();
  const pair = () => {
    const channel = token === undefined ? undefined : offers.get(token);
    if (!rpc || !channel) return;
    offers.delete(token!);
    rpc.attach(channel, true);
  };
  // A service worker's message event; registered now, at the worker's top level.
  globalThis.addEventListener('message', (evt: MessageEvent) => {
    const port = evt.ports[0];
    if (!port || !isNodeChannelOffer(evt.data)) return;
    if ((evt.source as { url?: string } | null)?.url !== ext.runtime.getURL(OFFSCREEN_PAGE)) {
      port.close();
      return;
    }
    offers.set(evt.data.token, port);
    for (const [old, stale] of offers) {
      if (offers.size <= MAX_OFFERS) break;
      offers.delete(old);
      stale.close();
    }
    pair();
  });

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

function fromOffscreenDocument(sender: NodePort['sender']): boolean {
  return (
    sender?.id === ext.runtime.id &&
    sender.tab === undefined &&
    sender.url === ext.runtime.getURL(OFFSCREEN_PAGE)
  );
}
