// The network-wide room directory, composed: the Server-Server endpoints we
// serve (routes), and what our clients' directory, alias and profile
// requests ask of other servers (remoteDirectory for the rooms module,
// remoteProfile for accounts, resolveRemoteAlias for room federation).
import type { Clock, Logger } from '../../ports.ts';
import type { Ed25519 } from '../../protocol/ed25519.ts';
import type { RemoteDirectory, ResolvedAlias } from '../../rooms/api.ts';
import type { Store } from '../../storage/port.ts';
import type { FederationRoute } from '../route-registry.ts';
import type { PeerTransport } from '../transport.ts';
import { type DirectoryClientDeps, type DirectoryTimeouts, defaultDirectoryTimeouts } from './ask-peer.ts';
import { directoryFederationRoutes, type LocalProfile } from './federation-routes.ts';
import { createNetworkDirectory } from './network-public-rooms.ts';
import { type RemoteProfile, remoteProfile, resolveRemoteAlias } from './remote-lookups.ts';

export { FOUND_ON, type NetworkRoomsChunk } from './network-public-rooms.ts';
export type { DirectoryTimeouts } from './ask-peer.ts';

export interface FederationDirectoryDeps {
  readonly transport: Pick<PeerTransport, 'request' | 'peers'>;
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly serverName: string;
  /** A local user's whole profile, custom fields too (accounts); undefined when there is no such user. */
  readonly profileOf: (userId: string) => Promise<LocalProfile | undefined>;
  readonly timeouts?: Partial<DirectoryTimeouts>;
  readonly ed25519: Ed25519;
}

export interface FederationDirectory {
  /** publicRooms GET/POST, query/directory, query/profile: to serve on the transport. */
  readonly routes: readonly FederationRoute[];
  /** For the rooms module (RoomDeps.remoteDirectory). */
  readonly remoteDirectory: RemoteDirectory;
  /** `#alias:<other server>` → room id and servers to join through. */
  resolveRemoteAlias(alias: string): Promise<ResolvedAlias | undefined>;
  /** Another server's user's profile, or one field of it (accounts' RemoteProfiles). */
  remoteProfile(userId: string, field?: string): Promise<RemoteProfile | undefined>;
}

export function createFederationDirectory(deps: FederationDirectoryDeps): FederationDirectory {
  const client: DirectoryClientDeps = {
    transport: deps.transport,
    serverName: deps.serverName,
    clock: deps.clock,
    logger: deps.logger,
    timeouts: { ...defaultDirectoryTimeouts, ...deps.timeouts },
    ed25519: deps.ed25519,
  };
  const network = createNetworkDirectory(client);
  const resolveAlias = (alias: string) => resolveRemoteAlias(client, network, alias);
  return {
    routes: directoryFederationRoutes(deps),
    remoteDirectory: {
      resolveAlias,
      serverPublicRooms: network.serverPublicRooms,
      networkPublicRooms: network.networkPublicRooms,
      serversFor: network.serversFor,
    },
    resolveRemoteAlias: resolveAlias,
    remoteProfile: (userId, field) => remoteProfile(client, userId, field),
  };
}
