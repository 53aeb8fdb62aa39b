// The background's answers to the popup's requests (PopupRequests in
// src/platform/web/popup-messages.ts), spread into the extension's handler map
// (message-handlers.ts), whose sender check lets only extension pages in.
// Each handler checks its input again: a message is untrusted until checked.
import type { OwnerSettingsChange, OwnerSettings, ReportsView } from '../../src/core/public.ts';
import type { HandlerMap } from '../../src/platform/web/messages.ts';
import { checkMultiaddr, checkRelayMultiaddr } from '../../src/platform/web/multiaddr-check.ts';
import type { IdentityExport, MediaUsageView, PopupRequests } from '../../src/platform/web/popup-messages.ts';
import type { ErrorLog } from './error-log.ts';
import { HomeserverRequestError } from './hs-call.ts';
import type { LocalAccount } from './local-account.ts';
import type { NetworkSettingsStore } from '../worker/network-settings-store.ts';
import type { NetworkView } from '../worker/network-view.ts';
import type { PopupStateHub } from './popup-state.ts';
import type { RoomAliasesApi } from './room-aliases.ts';
import type { RoomDirectory } from './room-directory.ts';

export type PopupHandlers = Pick<HandlerMap, keyof PopupRequests>;

/** Reports the popup lists at most (the homeserver keeps more). */
const REPORTS_SHOWN = 200;

export interface PopupHandlerDeps {
  readonly hub: Pick<PopupStateHub, 'snapshot' | 'changed'>;
  readonly account: LocalAccount;
  readonly settings: NetworkSettingsStore;
  readonly network: NetworkView;
  readonly aliases: RoomAliasesApi;
  readonly directory: RoomDirectory;
  readonly exportIdentity: () => Promise<IdentityExport>;
  /** Reported content (the homeserver's ReportsView). */
  readonly reports: () => Promise<ReportsView>;
  /** The owner's settings of the homeserver (Homeserver.settings). */
  readonly serverSettings: () => Promise<{
    get(): Promise<OwnerSettings>;
    update(change: OwnerSettingsChange): Promise<OwnerSettings>;
  }>;
  /** The homeserver's media repository (its usage, its cache of other peers' media). */
  readonly media: () => Promise<{ usage(): Promise<MediaUsageView>; clearRemoteCache(): Promise<unknown> }>;
  readonly errors: ErrorLog;
}

/**
 * Errors the popup shows where the user acted (their input, or a node the
 * status already reports missing), not again as the background's last error.
 */
const SHOWN_IN_PLACE = new Set([
  'NetworkUnavailableError',
  'InvalidMultiaddrError',
  'InvalidSettingError',
  'InvalidAliasError',
  'InvalidOriginError',
  'AccountInputError',
  'AccountExistsError',
  'M_USER_IN_USE',
  'M_INVALID_USERNAME',
  'M_EXCLUSIVE',
  'M_INVALID_PARAM',
  'M_FORBIDDEN',
  'M_NOT_FOUND',
]);

export function createPopupHandlers(deps: PopupHandlerDeps): PopupHandlers {
  const { settings, network, aliases, hub } = deps;
  /** Saves a settings change, has the node apply it and tells open popups. */
  const applySettings = async (change: Parameters<NetworkSettingsStore['update']>[0]) => {
    const next = await settings.update(change);
    hub.changed();
    await network.applySettings(next);
    return next;
  };
  const handlers: PopupHandlers = {
    popupState: () => hub.snapshot(),
    createAccount: async ({ username, password }) => {
      const account = await deps.account.create(String(username), String(password));
      hub.changed();
      return account;
    },
    addPeer: async ({ multiaddr, asRelay }) => {
      if (!asRelay) {
        await network.dial(checkMultiaddr(String(multiaddr)));
        return settings.get();
      }
      const relay = checkRelayMultiaddr(String(multiaddr));
      return applySettings({ relays: [...(await settings.get()).relays, relay] });
    },
    removeRelay: async ({ multiaddr }) =>
      applySettings({ relays: (await settings.get()).relays.filter((r) => r !== multiaddr) }),
    reconnect: async () => {
      await network.reconnect();
      return {};
    },
    getSettings: () => settings.get(),
    setSettings: ({ settings: change }) => applySettings(change),
    listAliases: () => aliases.list(),
    addAlias: ({ localpart, roomId }) => aliases.add(String(localpart), String(roomId)),
    removeAlias: ({ alias }) => aliases.remove(String(alias)),
    setPublished: ({ roomId, published }) => aliases.setPublished(String(roomId), published === true),
    searchDirectory: ({ term }) => deps.directory.search(String(term ?? '')),
    exportIdentityKey: () => deps.exportIdentity(),
    listReports: async () => (await deps.reports()).list(REPORTS_SHOWN),
    dismissReport: async ({ id }) => {
      const reports = await deps.reports();
      await reports.dismiss(Number(id));
      return reports.list(REPORTS_SHOWN);
    },
    getServerSettings: async () => (await deps.serverSettings()).get(),
    setServerSettings: async ({ change }) => {
      try {
        return await (await deps.serverSettings()).update(change as OwnerSettingsChange);
      } catch (err) {
        // The core's MatrixError, named by its errcode as the homeserver's answers are (hs-call.ts).
        const errcode = (err as { errcode?: unknown }).errcode;
        if (typeof errcode === 'string')
          throw new HomeserverRequestError(errcode, (err as Error).message, 400);
        throw err;
      }
    },
    mediaUsage: async () => (await deps.media()).usage(),
    clearRemoteMedia: async () => {
      const media = await deps.media();
      await media.clearRemoteCache();
      return media.usage();
    },
  };
  return recordingFailures(handlers, deps.errors, hub);
}

/** Wraps every handler so that a failure that is not about the user's input becomes the last error. */
function recordingFailures(
  handlers: PopupHandlers,
  errors: ErrorLog,
  hub: Pick<PopupStateHub, 'changed'>,
): PopupHandlers {
  const wrapped: Record<string, (params: never, sender: never) => Promise<unknown>> = {};
  for (const [type, handler] of Object.entries(handlers) as [
    string,
    (p: never, s: never) => Promise<unknown>,
  ][]) {
    wrapped[type] = async (params, sender) => {
      try {
        return await handler(params, sender);
      } catch (err) {
        const name = err instanceof Error ? err.name : 'Error';
        if (!SHOWN_IN_PLACE.has(name)) {
          await errors.record(err instanceof Error ? err.message : String(err)).catch(() => {});
          hub.changed();
        }
        throw err;
      }
    };
  }
  return wrapped as unknown as PopupHandlers;
}
