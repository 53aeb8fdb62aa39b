// The homeserver's composition root inside the core: one route table over the
// accounts, rooms and sync modules, one notifier, one request pipeline. Each
// platform (Node CLI, extension background, tests) opens a store, loads the
// identity (identity.ts) and calls createHomeserver.
import { type AccountConfig, accountRoutes, authenticate, createDeviceActivity } from './accounts/api.ts';
import type { Federation, FederationOptions, PeerTransport } from './federation/api.ts';
import { wireFederation } from './federation-wiring.ts';
import { createRouter } from './http/router.ts';
import { unknown } from './errors.ts';
import { matrixErrorResponse } from './http/respond.ts';
import type { HsRequest, HsResponse } from './http/types.ts';
import { createKeysModule } from './keys/api.ts';
import {
  keysAccounts,
  keysRooms,
  leaveAllRooms,
  profilePropagation,
  roomAccounts,
  syncAccounts,
} from './module-adapters.ts';
import type { Clock, Logger } from './ports.ts';
import { randomBytes as cryptoRandomBytes } from './protocol/crypto.ts';
import { createRooms } from './rooms/api.ts';
import type { Store } from './storage/port.ts';
import { Notifier } from './events/notifier.ts';
import { createTypingTracker, syncRoutes } from './sync/api.ts';

export type HomeserverConfig = AccountConfig;

export interface HomeserverDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Hex of the ed25519 public key (identity.ts). */
  readonly serverName: string;
  readonly signingSeed: Uint8Array;
  /** Defaults to WebCrypto's getRandomValues. */
  readonly randomBytes?: (n: number) => Uint8Array;
  readonly config: HomeserverConfig;
  /** Joins the network over this transport (federation); without it the server stands alone. */
  readonly transport?: PeerTransport;
  /** Federation's backoff and inbound limits, when not the defaults (tests shorten them). */
  readonly federationOptions?: Partial<FederationOptions>;
  /** The node's human-readable name now (`serve --name`, the extension's settings): peers show it. */
  readonly nodeName?: () => Promise<string | undefined>;
}

export interface Homeserver {
  readonly serverName: string;
  readonly notifier: Notifier;
  /** Room federation, when the server has a transport (tests and benches wait on its senders). */
  readonly federation?: Federation;
  handle(req: HsRequest): Promise<HsResponse>;
  /**
   * Stops taking requests, ends waiting long-polls and waits for requests in
   * flight. The store stays open: whoever opened it closes it afterwards.
   */
  close(): Promise<void>;
}

export function createHomeserver(deps: HomeserverDeps): Homeserver {
  const { store, clock, logger, serverName, signingSeed, config } = deps;
  const randomBytes = deps.randomBytes ?? cryptoRandomBytes;
  const notifier = new Notifier();
  const shared = { store, clock, notifier };
  const accountsForRooms = roomAccounts(shared);
  const federation =
    deps.transport &&
    wireFederation({
      ...shared,
      logger,
      serverName,
      signingSeed,
      transport: deps.transport,
      profileOf: accountsForRooms.profileOf,
      ...(deps.federationOptions && { options: deps.federationOptions }),
      ...(deps.nodeName && { nodeName: deps.nodeName }),
    });
  const keys = createKeysModule({
    ...shared,
    logger,
    serverName,
    rooms: keysRooms(),
    accounts: keysAccounts({ ...shared, serverName, randomBytes }),
    federation: () => federation?.keysFederation(),
  });
  const typing = federation?.typing ?? createTypingTracker(clock, notifier);
  const roomDeps = {
    ...shared,
    logger,
    serverName,
    signingSeed,
    randomBytes,
    accounts: accountsForRooms,
    ...federation?.roomDeps,
  };
  const rooms = createRooms(roomDeps);
  federation?.start(rooms, keys.server);
  const hooks = {
    profileChanged: profilePropagation(store, rooms, logger),
    userDeactivated: leaveAllRooms(store, rooms, logger),
    ...federation?.accountHooks,
  };
  const routes = [
    ...accountRoutes({
      ...shared,
      logger,
      serverName,
      randomBytes,
      config,
      hooks,
      deviceRemoval: keys.deviceRemoval,
    }),
    ...rooms.routes,
    ...keys.routes,
    ...syncRoutes({
      ...shared,
      typing,
      accounts: syncAccounts(shared),
      keys: keys.sync,
      ...(federation && { receiptSent: federation.receiptSent }),
    }),
  ];
  const activity = createDeviceActivity({ store, clock, logger });
  const route = createRouter({
    routes,
    logger,
    authenticate: async (token) => {
      const caller = await authenticate(store, token);
      if (caller) await activity.seen(caller);
      return caller;
    },
  });

  let closing = false;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const inFlight = new Set<Promise<HsResponse>>();

  return {
    serverName,
    notifier,
    ...(federation?.federation && { federation: federation.federation }),
    handle(req) {
      if (closing) return Promise.resolve(matrixErrorResponse(unknown('Server is shutting down', 503)));
      // Long-polls end when the client goes away or the server stops, whichever comes first.
      const closed = req.closed ? Promise.race([req.closed, stopped]) : stopped;
      const pending = route({ ...req, closed });
      inFlight.add(pending);
      return pending.finally(() => inFlight.delete(pending));
    },
    async close() {
      closing = true;
      stop();
      typing.close();
      await Promise.allSettled([...inFlight]);
      await federation?.close();
    },
  };
}
