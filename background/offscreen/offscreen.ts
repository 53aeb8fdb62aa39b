// Chrome's offscreen document (reason WEB_RTC): RTCPeerConnection exists in
// documents, not in the extension's service worker, so the libp2p node runs
// here (node-service.ts) and talks to the background over one runtime port
// (node-wire.ts).
//
// The document outlives the worker, but the port between them breaks each
// time Chrome stops the worker. Then:
//  - an incoming federation request, or news the homeserver must hear (a
//    peer came or went, an error), reconnects the port, which starts the
//    worker again; requests that were waiting on the old port are sent again
//    on the new one (every Server-Server request may be repeated: PUTs are
//    keyed by transaction or event id, the rest are reads);
//  - while servers are connected, the port is reconnected at once and a
//    keep-alive event goes out every 20 s: a message from the offscreen
//    document keeps the worker running (measured: ../shared/TESTING.md), so
//    the homeserver stays reachable for its peers;
//  - with nobody connected the worker may sleep; the background's wake
//    message (sent when it starts) brings the port back.
//
// Requests and replies cross on a MessageChannel beside each port
// (port-rpc.ts `attach`): a runtime port message goes through the browser
// process and is JSON both ways, about 1 ms a hop under load. Events follow
// the replies onto the channel (one order for both); the keep-alive stays on
// the port, as it must be an extension message, and the port says when the
// worker is gone.
//
// Each connection also brings the worker a MessagePort to the verifier Worker
// started here (verifier-wire.ts): service workers cannot start Workers.
import { responses } from '../../src/core/public.ts';
import { consoleLogger } from '../../src/platform/web/console-logger.ts';
import {
  encodeFederationResponse,
  type HostRequests,
  NODE_CHANNEL,
  NODE_PORT_NAME,
  type NodeChannelToken,
  type NodeEvent,
  type NodeRequests,
  WAKE_MESSAGE,
} from '../../src/platform/web/node-wire.ts';
import { LinkClosedError, PortRpc } from '../../src/platform/web/port-rpc.ts';
import { VERIFIER_SCRIPT, type VerifierOffer } from '../../src/platform/web/verifier-wire.ts';
import { indexedDbKnownPeers } from './known-peers-idb.ts';
import { createNodeService } from './node-service.ts';
import { verifierOffers } from './verifier-offers.ts';

const KEEPALIVE_INTERVAL_MS = 20_000;
const RECONNECT_DELAY_MS = 100;
const MAX_INCOMING_ATTEMPTS = 3;

const logger = consoleLogger('offscreen');
let rpc: PortRpc<NodeRequests, HostRequests, NodeEvent> | undefined;

/**
 * A MessagePort to the verifier Worker for the worker that just connected
 * (verifier-offers.ts); the Worker is started on first use, and again if it
 * failed. Without one the worker checks signatures itself (batching-ed25519.ts).
 */
const verifier = verifierOffers({
  start: (onError) => {
    const worker = new Worker(VERIFIER_SCRIPT, { type: 'module' });
    worker.addEventListener('error', (evt) => onError(String(evt.message)));
    return worker;
  },
  channel: () => new MessageChannel(),
  toServiceWorker,
  logger,
});

const service = createNodeService({
  host: {
    incoming: (params) => forwardIncoming(params),
    // A stream belongs to the port it was answered on: on a new one (the worker restarted) the read fails.
    call: (type, params, timeoutMs) => {
      if (!rpc || rpc.closed) return Promise.reject(new LinkClosedError('the homeserver went away'));
      return rpc.call(type, params, timeoutMs);
    },
    emit: (event) => {
      // Popup news is not worth waking the worker for; everything else is.
      if (event.type === 'changed' && !rpc) return;
      connect().emit(event);
    },
  },
  knownPeers: indexedDbKnownPeers(),
  logger,
});

function connect(): PortRpc<NodeRequests, HostRequests, NodeEvent> {
  if (rpc && !rpc.closed) return rpc;
  const port = chrome.runtime.connect({ name: NODE_PORT_NAME });
  const current = new PortRpc<NodeRequests, HostRequests, NodeEvent>(port, {
    handlers: service.handlers,
    onClose: () => {
      if (rpc === current) rpc = undefined;
      if (service.hasPeers()) setTimeout(connect, RECONNECT_DELAY_MS);
    },
  });
  rpc = current;
  offerChannel(port, current);
  void verifier.offer();
  return current;
}

/**
 * A MessageChannel to the worker beside `port`: the worker pairs the two by
 * a token (offscreen-link.ts) and speaks first on it. Until then, or if it never
 * does, everything crosses on the port.
 */
function offerChannel(port: chrome.runtime.Port, current: PortRpc<NodeRequests, HostRequests, NodeEvent>) {
  const channel = new MessageChannel();
  const token = crypto.randomUUID();
  current.attach(channel.port1, false);
  const name: NodeChannelToken = { kind: NODE_CHANNEL, token };
  port.postMessage(name);
  void toServiceWorker(name, channel.port2);
}

/**
 * Posts `message` with `port` to the extension's active service worker; when
 * there is none (or it cannot be reached), closes `port` and answers false.
 */
async function toServiceWorker(
  message: NodeChannelToken | VerifierOffer,
  port: MessagePort,
): Promise<boolean> {
  try {
    const { active } = await navigator.serviceWorker.ready;
    if (active) {
      active.postMessage(message, [port]);
      return true;
    }
    logger.warn('no active service worker to give a channel to', { kind: message.kind });
  } catch (err) {
    logger.warn('no channel to the service worker', { kind: message.kind, error: String(err) });
  }
  port.close();
  return false;
}

async function forwardIncoming(params: HostRequests['incoming']['params']) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect().call('incoming', params);
    } catch (err) {
      if (!(err instanceof LinkClosedError) || attempt >= MAX_INCOMING_ATTEMPTS) {
        logger.warn('the homeserver did not answer a federation request', { error: String(err) });
        return encodeFederationResponse(responses.notReady());
      }
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_DELAY_MS * attempt));
    }
  }
}

chrome.runtime.onMessage.addListener((message: unknown) => {
  const msg = message as Partial<typeof WAKE_MESSAGE> | null;
  if (msg?.channel === WAKE_MESSAGE.channel && msg.type === WAKE_MESSAGE.type) connect();
  return false;
});

setInterval(() => {
  if (service.hasPeers()) connect().emitOnPort({ type: 'keepalive' });
}, KEEPALIVE_INTERVAL_MS);

connect();
