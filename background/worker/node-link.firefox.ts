// Firefox's NodeLink (node-link-api.ts): Firefox has no offscreen API, but
// its MV3 background is an event page with a DOM and RTCPeerConnection, so
// the node (node-service.ts) runs right here and every call is in-process.
//
// Firefox unloads an idle event page after about 30 s; any call into an
// extension API from the page resets that timer (Firefox's
// ext-backgroundPage.js, reason "parentapicall"). So while servers are
// connected, a cheap API call every 20 s keeps the page, and with it the
// node and the homeserver, running; with nobody connected it may unload,
// and the next client request or browser event loads it again.
import { ext } from '../../src/platform/web/ext-api.ts';
import { indexedDbKnownPeers } from '../offscreen/known-peers-idb.ts';
import type { NodeLink, NodeLinkDeps, NodeLinkHost } from './node-link-api.ts';
import { createNodeService } from '../offscreen/node-service.ts';

const KEEPALIVE_INTERVAL_MS = 20_000;

export function createNodeLink(deps: NodeLinkDeps): NodeLink {
  let resolveHost!: (host: NodeLinkHost) => void;
  const host = new Promise<NodeLinkHost>((resolve) => {
    resolveHost = resolve;
  });
  const service = createNodeService({
    host: {
      incoming: async (params) => (await host).handlers.incoming(params),
      call: async (type, params) => (await host).handlers[type](params as never) as never,
      emit: (event) => void host.then((h) => h.onEvent(event)),
    },
    knownPeers: indexedDbKnownPeers(),
    logger: deps.logger,
  });
  setInterval(() => {
    if (service.hasPeers()) void ext.runtime.getPlatformInfo();
  }, KEEPALIVE_INTERVAL_MS);

  return {
    call: (type, params) => service.handlers[type](params as never) as never,
    serve(value) {
      resolveHost(value);
      value.onConnected();
    },
    accept: () => {},
  };
}
