// The state the popup shows, pushed to it over its runtime port
// (POPUP_PORT_NAME): a whole snapshot when the popup connects and again after
// every change (storage, the network node, the homeserver starting), so the
// popup never polls. Changes that arrive together are sent as one snapshot.
import {
  type HomeserverState,
  POPUP_PORT_NAME,
  type PopupState,
  type PopupStateMessage,
} from '../../src/platform/web/popup-messages.ts';
import type { NetworkSettings } from '../../src/platform/web/network-settings.ts';
import type { ErrorLog } from './error-log.ts';
import type { LocalAccount } from './local-account.ts';
import type { NetworkView } from '../worker/network-view.ts';

/** The part of runtime.Port the hub uses. */
export interface PopupPort {
  readonly name: string;
  readonly sender?: unknown;
  postMessage(message: PopupStateMessage): void;
  disconnect(): void;
  readonly onDisconnect: { addListener(listener: () => void): void };
}

export interface PopupStateDeps {
  readonly homeserver: Promise<{ readonly serverName: string }>;
  readonly homeserverUrl: string;
  readonly account: Pick<LocalAccount, 'state'>;
  readonly network: Pick<NetworkView, 'snapshot' | 'subscribe'>;
  readonly origins: () => Promise<readonly string[]>;
  readonly accountCreation: () => Promise<readonly string[]>;
  readonly settings: () => Promise<NetworkSettings>;
  readonly errors: ErrorLog;
  /** Whether a port's sender is one of the extension's own pages. */
  readonly isPopupSender: (sender: unknown) => boolean;
}

export interface PopupStateHub {
  /** runtime.onConnect listener: takes the popup's ports, ignores every other port. */
  accept(port: PopupPort): void;
  /** Something the popup shows changed: send every open popup a new snapshot. */
  changed(): void;
  snapshot(): Promise<PopupState>;
  /** Resolves once every change so far was sent to the open popups (tests wait on it instead of sleeping). */
  settled(): Promise<void>;
}

export function createPopupStateHub(deps: PopupStateDeps): PopupStateHub {
  const ports = new Set<PopupPort>();
  let homeserver: HomeserverState = { state: 'starting' };
  let pending: Promise<void> | undefined;
  let again = false;

  const snapshot = async (): Promise<PopupState> => {
    const [account, network, origins, accountCreation, settings, lastError] = await Promise.all([
      homeserver.state === 'ready' ? deps.account.state() : { state: 'none' as const },
      deps.network.snapshot(),
      deps.origins(),
      deps.accountCreation(),
      deps.settings(),
      deps.errors.last(),
    ]);
    return { homeserver, account, network, origins, accountCreation, settings, lastError };
  };
  const send = (port: PopupPort, state: PopupState) => {
    try {
      port.postMessage({ type: 'state', state });
    } catch {
      ports.delete(port); // closed between the snapshot and the send
    }
  };
  // One snapshot at a time; changes during one lead to exactly one more.
  const changed = () => {
    if (pending) {
      again = true;
      return;
    }
    pending = (async () => {
      do {
        again = false;
        if (ports.size === 0) break;
        const state = await snapshot().catch(() => undefined);
        if (state) for (const port of ports) send(port, state);
      } while (again);
    })().finally(() => {
      pending = undefined;
    });
  };

  deps.homeserver.then(
    (hs) => {
      homeserver = { state: 'ready', serverName: hs.serverName, url: deps.homeserverUrl };
      changed();
    },
    (err: unknown) => {
      homeserver = { state: 'failed', error: String(err instanceof Error ? err.message : err) };
      void deps.errors.record(`The homeserver could not start: ${homeserver.error}`).finally(changed);
    },
  );
  deps.network.subscribe(changed);

  return {
    snapshot,
    changed,
    async settled() {
      while (pending) await pending;
    },
    accept(port) {
      if (port.name !== POPUP_PORT_NAME) return;
      if (!deps.isPopupSender(port.sender)) {
        port.disconnect();
        return;
      }
      ports.add(port);
      port.onDisconnect.addListener(() => ports.delete(port));
      // Through changed(), so that a snapshot never overtakes a newer one.
      changed();
    },
  };
}
