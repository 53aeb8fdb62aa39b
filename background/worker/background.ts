// Extension background: the composition root of the homeserver (Chrome MV3
// service worker, Firefox event page).
//
// The worker may be stopped at any moment and started again by the next
// event, so every listener is registered synchronously here, at top level, and
// all work waits on one `ready` promise (the homeserver over IndexedDB).
// Nothing authoritative lives only in memory.
import { consoleLogger } from '../../src/platform/web/console-logger.ts';
import { ext } from '../../src/platform/web/ext-api.ts';
import { dispatchMessage, isExtensionMessage } from '../../src/platform/web/messages.ts';
import { originOfClient, POPUP_CLIENT } from './client-names.ts';
import { clientChannelOffers } from './client-channels.ts';
import { createClientPorts } from './client-ports.ts';
import { createClientStats } from './client-stats.ts';
import { bootHomeserver } from './homeserver-boot.ts';
import { storageAreaOf } from './key-value-area.ts';
import { allowSender, createHandlers } from './message-handlers.ts';
import { createNetworkNode } from './network-node.ts';
import { createNetworkSettingsStore } from './network-settings-store.ts';
import { createNodeLink } from './node-link.ts';
import { createOriginApprovals } from './origin-approvals.ts';
import { createVerifierLink } from './verifier-link.ts';
import { createPopupBackground } from '../popup-backend/popup-background.ts';
import { workerTrace } from './worker-trace.ts';

const logger = consoleLogger('background');
// The libp2p node: Chrome's offscreen document, or this event page in Firefox (node-link.firefox.ts).
const reportError = (message: string) => popup.reportError(message);
// Chrome: batches of signature checks go to a Worker the offscreen document starts.
const verifier = createVerifierLink();
const link = createNodeLink({ logger, reportError, onVerifierPort: (port) => verifier.offer(port) });
const networkSettings = createNetworkSettingsStore(storageAreaOf(ext.storage.local));
const network = createNetworkNode({ link, settings: () => networkSettings.get(), logger, reportError });
const approvals = createOriginApprovals(logger);
const ready = bootHomeserver({
  logger,
  node: {
    transportFor: (identity) => network.start(identity),
    nodeName: async () => (await networkSettings.get()).displayName,
    turn: network.turn,
  },
  // The popup creates accounts; a site only when the user allowed it for that site.
  mayRegister: async (client) => {
    if (client === POPUP_CLIENT) return true;
    const origin = originOfClient(client);
    return origin !== undefined && (await approvals.mayCreateAccounts(origin));
  },
  ed25519For: (ed25519) => verifier.wrap(ed25519),
});
ready.catch((err: unknown) => logger.error('homeserver failed to start', { error: String(err) }));

const stats = createClientStats();
const clientPorts = createClientPorts({
  homeserver: ready,
  isApproved: (origin) => approvals.isApproved(origin),
  stats,
  logger,
  channels: clientChannelOffers(),
});
const popup = createPopupBackground({
  homeserver: ready,
  approvals,
  logger,
  network: network.view,
  federating: () => true,
});
const handlers = createHandlers({ homeserver: ready, approvals, clientPorts, stats, popup: popup.handlers });

ext.runtime.onConnect.addListener((port) => clientPorts.accept(port));
ext.runtime.onConnect.addListener((port) => popup.accept(port));
ext.runtime.onConnect.addListener((port) => link.accept(port));

ext.runtime.onMessage.addListener((message: unknown, sender, sendResponse) => {
  if (!isExtensionMessage(message)) return false;
  void dispatchMessage(handlers, message, sender, allowSender).then(sendResponse);
  return true; // the reply is sent asynchronously
});

// Registered scripts can be cleared by an update, and the user can take a
// host permission back in the browser's settings: bring both in line.
const reconcile = () =>
  approvals.reconcile().catch((err: unknown) => logger.error('reconcile failed', { error: String(err) }));
ext.runtime.onInstalled.addListener(reconcile);
ext.runtime.onStartup.addListener(reconcile);
ext.permissions.onRemoved.addListener(reconcile);

/**
 * For tests and the worker's devtools console: the same functions the popup's
 * messages reach, without the sender check (only code running inside the
 * extension's own worker can call them).
 */
Object.assign(globalThis, { p2pMatrix: { handlers, stats, ready, network, trace: workerTrace } });
