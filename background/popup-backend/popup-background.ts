// Composition of the popup's background side: its handlers and its state
// port, over the browser's storage and the homeserver. background.ts calls
// this once, synchronously at top level (the listeners below must be
// registered before the worker's first event is dispatched).
import { bootstrapIdentity, type Homeserver, type Logger, SCHEMA } from '../../src/core/public.ts';
import { systemRandomBytes as randomBytes } from '../../src/platform/system-random.ts';
import { chooseEd25519 } from '../../src/platform/ed25519.ts';
import { openDexieStore } from '../../src/platform/dexie/dexie-store.ts';
import { ext } from '../../src/platform/web/ext-api.ts';
import { HOMESERVER_ORIGIN } from '../../src/platform/web/homeserver-url.ts';
import type { MessageSenderInfo } from '../../src/platform/web/messages.ts';
import { createErrorLog } from './error-log.ts';
import { DATABASE_NAME } from '../worker/database-names.ts';
import { identityFile } from './identity-export.ts';
import { memoryArea, storageAreaOf } from '../worker/key-value-area.ts';
import { createLocalAccount } from './local-account.ts';
import { createNetworkSettingsStore } from '../worker/network-settings-store.ts';
import { type NetworkView, unavailableNetwork } from '../worker/network-view.ts';
import type { OriginApprovals } from '../worker/origin-approvals.ts';
import { createPopupHandlers, type PopupHandlers } from './popup-handlers.ts';
import { createPopupStateHub, type PopupPort } from './popup-state.ts';
import { createRoomAliases } from './room-aliases.ts';
import { createRoomDirectory } from './room-directory.ts';
import { isExtensionPage } from '../worker/sender-checks.ts';

export interface PopupBackgroundDeps {
  readonly homeserver: Promise<Homeserver>;
  readonly approvals: OriginApprovals;
  readonly logger: Logger;
  /** The libp2p node's view; without it the popup is told the node is not running. */
  readonly network?: NetworkView;
  /** Whether the homeserver was created with a peer transport (its publicRooms then covers the network). */
  readonly federating?: () => boolean;
}

export interface PopupBackground {
  readonly handlers: PopupHandlers;
  /** runtime.onConnect listener for the popup's state port. */
  accept(port: chrome.runtime.Port): void;
  /** Shows `message` as the background's last error (for the network node, in words). */
  reportError(message: string): void;
}

export function createPopupBackground(deps: PopupBackgroundDeps): PopupBackground {
  const local = storageAreaOf(ext.storage.local);
  const errors = createErrorLog(ext.storage.session ? storageAreaOf(ext.storage.session) : memoryArea());
  const network = deps.network ?? unavailableNetwork();
  const account = createLocalAccount(deps.homeserver, local);
  const settings = createNetworkSettingsStore(local);
  const hub = createPopupStateHub({
    homeserver: deps.homeserver,
    homeserverUrl: HOMESERVER_ORIGIN,
    account,
    network,
    origins: () => deps.approvals.list(),
    accountCreation: () => deps.approvals.accountCreation(),
    settings: () => settings.get(),
    errors,
    isPopupSender: (sender) => isExtensionPage((sender ?? {}) as MessageSenderInfo),
  });
  // Approvals, settings and the account live in storage: any change there is news for the popup.
  ext.storage.onChanged.addListener(() => hub.changed());
  const handlers = createPopupHandlers({
    hub,
    account,
    settings,
    network,
    aliases: createRoomAliases({ homeserver: deps.homeserver, session: () => account.session() }),
    directory: createRoomDirectory({
      homeserver: deps.homeserver,
      federating: deps.federating ?? (() => false),
      session: () => account.session(),
    }),
    exportIdentity: async () => identityFile(await readIdentity(deps.homeserver), new Date()),
    reports: async () => (await deps.homeserver).reports,
    media: async () => (await deps.homeserver).media,
    serverSettings: async () => (await deps.homeserver).settings,
    errors,
  });
  return {
    handlers,
    accept: (port) => hub.accept(port as PopupPort),
    reportError(message) {
      void errors
        .record(message)
        .catch((err: unknown) => deps.logger.error('could not keep the last error', { error: String(err) }));
    },
  };
}

/**
 * The stored identity, read through a second connection to the homeserver's
 * database once it is open (and so created or upgraded): the only reader of
 * the seed besides the homeserver itself.
 */
async function readIdentity(homeserver: Promise<Homeserver>) {
  await homeserver;
  const store = await openDexieStore(DATABASE_NAME, SCHEMA);
  try {
    return await bootstrapIdentity(store, randomBytes, await chooseEd25519());
  } finally {
    await store.close();
  }
}
