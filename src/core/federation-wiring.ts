// How the homeserver joins the network when it has a peer transport: room
// federation (federation/federation.ts) with the network directory's
// endpoints (federation/directory) on the same transport, and the seams they
// fill in the other modules. Only homeserver.ts uses this.
//
// Order: the rooms module is made with `roomDeps` (other servers'
// directories), then start(rooms) creates room federation over the rooms
// module's port and connects it back (Rooms.connectFederation): the one
// dependency each way, explicit. The typing tracker is made here so that
// local typing changes also go out as m.typing.
import type { AccountHooks } from './accounts/api.ts';
import { homeserverEduSinks } from './edu-sinks.ts';
import {
  createFederation,
  createFederationDirectory,
  type Federation,
  type FederationDeps,
  type FederationRoute,
} from './federation/api.ts';
import type { KeysFederation, KeysModule } from './keys/api.ts';
import type { MemberProfile, RoomDeps, Rooms } from './rooms/api.ts';
import { type SharedReceipt, TypingTracker } from './sync/api.ts';

export interface FederationWiringDeps extends Omit<FederationDeps, 'rooms' | 'edus' | 'extraRoutes'> {
  /** A local user's profile (accounts); undefined for unknown users. */
  readonly profileOf: (userId: string) => Promise<MemberProfile | undefined>;
}

export interface FederationWiring {
  /** What the rooms module gets when it is made: other servers' directories. */
  readonly roomDeps: Pick<RoomDeps, 'remoteDirectory'>;
  /** What the accounts module gets: other servers' users' profiles. */
  readonly accountHooks: Pick<AccountHooks, 'remoteProfile'>;
  /** The typing tracker for sync: its changes wake syncs and go out to the room's servers. */
  readonly typing: TypingTracker;
  /** For sync: a local user's read receipt goes out as m.receipt. */
  readonly receiptSent: (receipt: SharedReceipt) => void;
  /**
   * Starts room federation over the rooms module (made with `roomDeps`),
   * serving the keys module's side too, and connects it to the rooms module
   * (remote joins and leaves, the outbox of local events).
   */
  start(rooms: Rooms, keys?: KeysModule['server']): void;
  /** What the keys module sends and asks over federation, once started. */
  keysFederation(): KeysFederation | undefined;
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
    accountHooks: { remoteProfile: directory.remoteProfile },
    typing,
    receiptSent: (receipt) => federation?.receiptSent(receipt),
    start(rooms, keys) {
      federation = createFederation({
        ...deps,
        rooms: rooms.federationPort,
        edus: { ...homeserverEduSinks({ ...deps, typing }), ...(keys && { keys: keys.edus }) },
        extraRoutes: [...directory.routes, ...(keys ? keysRoutes(keys.routes) : [])],
      });
      rooms.connectFederation(federation.roomHooks);
    },
    keysFederation() {
      const f = federation;
      return (
        f && {
          tables: f.outboxTables,
          queueEdu: f.queueEdu,
          wake: f.wake,
          get: (server, path, timeoutMs) => f.client.get(server, path, {}, timeoutMs),
          post: (server, path, body, timeoutMs) => f.client.post(server, path, body, timeoutMs),
        }
      );
    },
    get federation() {
      return federation;
    },
    close: async () => federation?.close(),
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
