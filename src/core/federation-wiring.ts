// How the homeserver joins the network when it has a peer transport: room
// federation (federation/federation.ts) with the network directory's
// endpoints (federation/directory) on the same transport, and the seams they
// fill in the other modules. Only homeserver.ts uses this.
//
// Order: the rooms and keys modules are made first (rooms with `roomDeps`,
// other servers' directories), then start(rooms, keys) creates room
// federation over their ports and connects it back to each
// (Rooms.connectFederation, KeysModule.connectFederation): the one
// dependency each way, explicit, in two steps. The typing tracker is made here so that
// local typing changes also go out as m.typing.
import * as accounts from './accounts/api.ts';
import {
  createFederation,
  createFederationDirectory,
  type EduSinks,
  type Federation,
  type FederationDeps,
  type FederationRoute,
} from './federation/api.ts';
import type { KeysFederation, KeysModule } from './keys/api.ts';
import type { MemberProfile, RoomDeps, Rooms } from './rooms/api.ts';
import { type SharedReceipt, storeRemoteReceipt, TypingTracker } from './sync/api.ts';

export interface FederationWiringDeps extends Omit<FederationDeps, 'rooms' | 'edus' | 'extraRoutes'> {
  /** A local user's profile (accounts); undefined for unknown users. */
  readonly profileOf: (userId: string) => Promise<MemberProfile | undefined>;
}

export interface FederationWiring {
  /** What the rooms module gets when it is made: other servers' directories. */
  readonly roomDeps: Pick<RoomDeps, 'remoteDirectory'>;
  /** What the accounts module gets: other servers' users' profiles. */
  readonly remoteProfiles: accounts.RemoteProfiles;
  /** The typing tracker for sync: its changes wake syncs and go out to the room's servers. */
  readonly typing: TypingTracker;
  /** For sync: a local user's read receipt goes out as m.receipt. */
  readonly receiptSent: (receipt: SharedReceipt) => void;
  /**
   * Starts room federation over the rooms module (made with `roomDeps`),
   * serving the keys module's side too, and connects it to both: rooms get
   * remote joins and leaves and the outbox of local events, keys the outbox
   * and calls to other servers.
   */
  start(rooms: Rooms, keys: KeysModule): void;
  /** Room federation once started (tests and benches wait on its senders). */
  readonly federation: Federation | undefined;
  /** Stops room federation's senders (the transport is its opener's to close). */
  close(): Promise<void>;
}

export function wireFederation(deps: FederationWiringDeps): FederationWiring {
  const { profileOf, notifier } = deps;
  const directory = createFederationDirectory({ ...deps, profileOf });
  let federation: Federation | undefined;
  const typing: TypingTracker = new TypingTracker(deps.clock, (roomId) => {
    notifier.notify({ rooms: [roomId] });
    federation?.typingChanged(roomId, typing.typers(roomId));
  });
  return {
    roomDeps: { remoteDirectory: directory.remoteDirectory },
    remoteProfiles: directory,
    typing,
    receiptSent: (receipt) => federation?.receiptSent(receipt),
    start(rooms, keys) {
      const started = createFederation({
        ...deps,
        rooms: rooms.federationPort,
        edus: { ...homeserverEduSinks({ ...deps, typing }), keys: keys.server.edus },
        extraRoutes: [...directory.routes, ...keysRoutes(keys.server.routes)],
      });
      federation = started;
      rooms.connectFederation(started.roomHooks);
      keys.connectFederation(keysFederation(started));
    },
    get federation() {
      return federation;
    },
    close: async () => federation?.close(),
  };
}

/** What the keys module sends and asks over federation: the persisted outbox and calls to other servers. */
function keysFederation(federation: Federation): KeysFederation {
  return {
    tables: federation.outboxTables,
    queueEdu: federation.queueEdu,
    wake: federation.wake,
    get: (server, path, timeoutMs) => federation.client.get(server, path, {}, timeoutMs),
    post: (server, path, body, timeoutMs) => federation.client.post(server, path, body, timeoutMs),
  };
}

/** The keys module's endpoints as federation routes (a body that is no JSON object reads as `{}`). */
function keysRoutes(routes: KeysModule['server']['routes']): FederationRoute[] {
  return routes.map((route) => ({
    method: route.method,
    path: route.path,
    handler: async (ctx) => {
      const body = ctx.req.body;
      const json = body && !(body instanceof Uint8Array) ? body : {};
      return { status: 200, body: await route.handler(ctx.origin, ctx.params, json) };
    },
  }));
}

/**
 * The sinks for incoming EDUs (federation/edus.ts): typing goes to the
 * in-memory typing tracker, receipts to the sync module, presence to the
 * accounts module, each through its api (room federation does not know them).
 */
function homeserverEduSinks(deps: FederationWiringDeps & { typing: TypingTracker }): EduSinks {
  return {
    typing: (roomId, userId, typing) => deps.typing.set(roomId, userId, typing),
    async receipt(r) {
      const stored = await storeRemoteReceipt(deps.store, r);
      if (stored) deps.notifier.notify({ rooms: [r.roomId] });
      return stored;
    },
    async presence(userId, presence, statusMsg, lastActiveAgo) {
      const at = deps.clock.now() - lastActiveAgo;
      if (await accounts.updatePresence(deps.store, userId, presence, statusMsg ?? null, at)) {
        deps.notifier.notify({ everyone: true });
      }
    },
  };
}
