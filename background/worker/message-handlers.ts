// The background's answers to the extension's own pages (popup): one handler
// per message type (src/platform/web/messages.ts). Only extension pages may
// send these; a content script that tried would be refused.
import type { Homeserver } from '../../src/core/public.ts';
import { HOMESERVER_ORIGIN } from '../../src/platform/web/homeserver-url.ts';
import type { HandlerMap, MessageSenderInfo, RequestType } from '../../src/platform/web/messages.ts';
import type { ClientPorts } from './client-ports.ts';
import type { ClientStats } from './client-stats.ts';
import type { OriginApprovals } from './origin-approvals.ts';
import type { PopupHandlers } from '../popup-backend/popup-handlers.ts';
import { isExtensionPage } from './sender-checks.ts';

export interface HandlerDeps {
  readonly homeserver: Promise<Homeserver>;
  readonly approvals: OriginApprovals;
  readonly clientPorts: ClientPorts;
  readonly stats: ClientStats;
  /** The popup's requests (popup-handlers.ts). */
  readonly popup: PopupHandlers;
}

export function createHandlers(deps: HandlerDeps): HandlerMap {
  const { approvals } = deps;
  return {
    ...deps.popup,
    approveOrigin: async ({ origin }) => ({ origins: await approvals.approve(origin) }),
    revokeOrigin: async ({ origin }) => {
      const origins = await approvals.revoke(origin);
      deps.clientPorts.closeOrigin(origin);
      return { origins };
    },
    listOrigins: async () => ({ origins: await approvals.list() }),
    setAccountCreation: async ({ origin, allowed }) => ({
      accountCreation: await approvals.setAccountCreation(String(origin), allowed === true),
    }),
    status: async () => ({
      serverName: (await deps.homeserver).serverName,
      homeserverUrl: HOMESERVER_ORIGIN,
      approvedOrigins: await approvals.list(),
      accountCreationOrigins: await approvals.accountCreation(),
      openClientPorts: deps.stats.open,
    }),
  };
}

/** Every message type changes or reveals the user's setup: extension pages only. */
export function allowSender(_type: RequestType, sender: MessageSenderInfo): boolean {
  return isExtensionPage(sender);
}
