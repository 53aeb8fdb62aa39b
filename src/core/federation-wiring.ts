// How the homeserver joins the network when it has a peer transport: the
// directory parts (federation/directory) and room federation, their
// Server-Server endpoints served on the transport, and the seams they fill in
// the rooms and accounts modules. Only homeserver.ts uses this.
import type { AccountHooks } from './accounts/deps.ts';
import { createFederationDirectory } from './federation/directory/federation-directory.ts';
import { federationRouter } from './federation/route-registry.ts';
import type { PeerTransport } from './federation/transport.ts';
import type { Clock, Logger } from './ports.ts';
import type { MemberProfile, RoomDeps } from './rooms/deps.ts';
import type { Store } from './storage/port.ts';

export interface FederationWiringDeps {
  readonly transport: PeerTransport;
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly serverName: string;
  /** A local user's profile (accounts); undefined for unknown users. */
  readonly profileOf?: (userId: string) => Promise<MemberProfile | undefined>;
}

export interface FederationWiring {
  /** What the rooms module gets from federation. */
  readonly roomDeps: Pick<RoomDeps, 'remoteDirectory'>;
  /** What the accounts module gets from federation. */
  readonly accountHooks: Pick<AccountHooks, 'remoteProfile'>;
  close(): Promise<void>;
}

export function wireFederation(deps: FederationWiringDeps): FederationWiring {
  const { profileOf } = deps;
  const directory = createFederationDirectory({
    ...deps,
    profileOf: async (userId) => profileOf?.(userId),
  });
  deps.transport.onRequest(federationRouter(directory.routes));
  return {
    roomDeps: { remoteDirectory: directory.remoteDirectory },
    accountHooks: { remoteProfile: directory.remoteProfile },
    close: async () => {},
  };
}
