// The homeserver's composition root inside the core: the one place that makes
// the modules and connects them, then one route table over them, one
// notifier, one request pipeline. Each platform (Node CLI, extension
// background, tests) opens a store and a transport, loads the identity
// (identity.ts) and calls createHomeserver.
//
// Each module declares in its deps.ts the role-named interfaces it asks for
// (AccountsForRooms, RoomsForAccounts, KeysRooms, KeysAccounts, SyncDeps'
// accounts, EduSinks, …); module-adapters.ts answers them from the other
// modules' api files. Order: the modules first; then, with a transport, room
// federation over the rooms module's port and the keys module's server side,
// connected back to both (Rooms.connectFederation,
// KeysModule.connectFederation): the dependency each way explicit, in two
// steps. The typing tracker is made before federation (federation's EDU sink
// feeds it) and sends local changes over federation once there is one.
import {
  type AccountConfig,
  accountRoutes,
  authenticate,
  createDeviceActivity,
  type OwnerSettingsView,
  ownerSettingsView,
} from './accounts/api.ts';
import { unknown } from './errors.ts';
import { Notifier } from './events/notifier.ts';
import {
  createFederation,
  createFederationDirectory,
  createRemoteMedia,
  type DirectoryTimeouts,
  type Federation,
  type FederationDirectory,
  type FederationOptions,
  federationTables,
  mediaFederationRoutes,
  type PeerTransport,
} from './federation/api.ts';
import { DEFAULT_RATE_LIMITS, RateLimiter, type RateLimits } from './http/rate-limit.ts';
import { createRouter } from './http/router.ts';
import { matrixErrorResponse } from './http/respond.ts';
import type { HsRequest, HsResponse } from './http/types.ts';
import type { Route } from './http/route.ts';
import { createKeysModule, type KeysModule } from './keys/api.ts';
import {
  eduSinks,
  keysAccounts,
  keysFederation,
  keysRooms,
  keysServerRoutes,
  openIdServerRoute,
  federationProfiles,
  roomAccounts,
  syncAccounts,
} from './module-adapters.ts';
import {
  createMediaModule,
  DEFAULT_MEDIA_CONFIG,
  type MediaConfig,
  type MediaModule,
  type Thumbnailer,
} from './media/api.ts';
import type { Clock, Logger, Pbkdf2Sha256, RandomBytes } from './ports.ts';
import { type Ed25519, ed25519Signer, P2P_KEY_ID, type Signer } from './protocol.ts';
import type { BlobStore } from './storage/blob-port.ts';
import { COMMITTED_VIEW_LOG, createRooms, reindexSearch, type ReportsView, type Rooms } from './rooms/api.ts';
import { CommitLog, withCommitLog } from './storage/commit-log.ts';
import type { Store } from './storage/port.ts';
import { createTypingTracker, syncRoutes, TypingTracker } from './sync/api.ts';
import { type TurnSource, voipRoutes } from './voip/api.ts';

export interface HomeserverConfig extends AccountConfig {
  /** Client-Server rate limits other than DEFAULT_RATE_LIMITS (http/rate-limit.ts). */
  readonly rateLimits?: Partial<RateLimits>;
}

export interface HomeserverDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Hex of the ed25519 public key (identity.ts). */
  readonly serverName: string;
  readonly signingSeed: Uint8Array;
  /** The host's random source (src/platform/system-random.ts), as the clock is its time. */
  readonly randomBytes: RandomBytes;
  /** The host's Ed25519 (src/platform/ed25519.ts chooseEd25519): signs our events, checks everyone's. */
  readonly ed25519: Ed25519;
  /**
   * The same for the checks that run while this thread places what they check
   * (a received transaction's: inbound/transaction.ts); the extension's sends
   * them all to its verifier Worker. `ed25519` when not given.
   */
  readonly ed25519Aside?: Ed25519;
  /** The host's PBKDF2 (src/platform/pbkdf2.ts): password hashing. */
  readonly pbkdf2: Pbkdf2Sha256;
  readonly config: HomeserverConfig;
  /** Joins the network over this transport (federation); without it the server stands alone. */
  readonly transport?: PeerTransport;
  /** Federation's backoff and inbound limits, when not the defaults (tests shorten them). */
  readonly federationOptions?: Partial<FederationOptions>;
  /** The network directory's waits on peers, when not the defaults (tests under load lengthen them). */
  readonly directoryTimeouts?: Partial<DirectoryTimeouts>;
  /** The node's human-readable name now (`serve --name`, the extension's settings): peers show it. */
  readonly nodeName?: () => Promise<string | undefined>;
  /** Media: where content is stored, the platform's thumbnailer, limits other than the defaults. */
  readonly media: MediaPlatform;
  /** TURN credentials for calls (the node's relays); without it `/voip/turnServer` answers `{}`. */
  readonly turn?: TurnSource;
}

export interface MediaPlatform {
  readonly blobs: BlobStore;
  /** Without one, thumbnails are refused (400) and downloads still work. */
  readonly thumbnailer?: Thumbnailer;
  readonly config?: Partial<MediaConfig>;
}

export interface Homeserver {
  readonly serverName: string;
  readonly notifier: Notifier;
  /** Room federation, when the server has a transport (tests and benches wait on its senders). */
  readonly federation?: Federation;
  /** The media repository: its files for federation, its usage and remote cache for the popup. */
  readonly media: MediaModule;
  /** Reported content, for the owner (there is no server administrator in P2P). */
  readonly reports: ReportsView;
  /** Every Client-Server route the router serves (method, pattern, auth), for tools that drive them all (the fuzzer). */
  readonly routes: readonly Pick<Route, 'method' | 'path' | 'auth'>[];
  /** The owner's settings (access token lifetime, support contact): the popup's, stored with the server. */
  readonly settings: OwnerSettingsView;
  /**
   * Settles when the history stored before the search index (schema version
   * 9) is in it (rooms/search-reindex.ts), or when the server closes first.
   */
  readonly searchReindexed: Promise<void>;
  handle(req: HsRequest): Promise<HsResponse>;
  /**
   * Stops taking requests, ends waiting long-polls and waits for requests in
   * flight. The store stays open: whoever opened it closes it afterwards.
   */
  close(): Promise<void>;
}

/** How long after start the search re-index (rooms/search-reindex.ts) waits before its first batch. */
const REINDEX_START_DELAY_MS = 1000;

export function createHomeserver(given: HomeserverDeps): Homeserver {
  // Every write goes through the commit log, which woken syncs answer from (sync/sync-view.ts).
  const commits = new CommitLog(COMMITTED_VIEW_LOG);
  const deps: HomeserverDeps = { ...given, store: withCommitLog(given.store, commits) };
  const { store, clock, logger, serverName, config, transport, randomBytes, ed25519, pbkdf2 } = deps;
  // This server's signing key (`ed25519:p2p`), over the seed of its identity.
  const signer = ed25519Signer(ed25519, serverName, P2P_KEY_ID, deps.signingSeed);
  const notifier = new Notifier();
  const shared = { store, clock, notifier };
  const accountsForRooms = roomAccounts(shared);
  const directory =
    transport &&
    createFederationDirectory({
      ...shared,
      logger,
      serverName,
      transport,
      ed25519,
      profileOf: federationProfiles(shared),
      ...(deps.directoryTimeouts && { timeouts: deps.directoryTimeouts }),
    });
  let federation: Federation | undefined;
  const typing: TypingTracker = transport
    ? new TypingTracker(clock, (roomId) => {
        notifier.notify({ rooms: [roomId] });
        federation?.typingChanged(roomId, typing.typers(roomId));
      })
    : createTypingTracker(clock, notifier);
  const rooms = createRooms({
    ...shared,
    logger,
    serverName,
    signer,
    randomBytes,
    accounts: accountsForRooms,
    ...(directory && { remoteDirectory: directory.remoteDirectory }),
  });
  const keys = createKeysModule({
    ...shared,
    logger,
    serverName,
    ed25519,
    rooms: keysRooms(),
    accounts: keysAccounts({ ...shared, serverName, randomBytes, pbkdf2 }),
  });
  const media = createMediaModule({
    ...shared,
    logger,
    serverName,
    randomBytes,
    blobs: deps.media.blobs,
    config: { ...DEFAULT_MEDIA_CONFIG, ...deps.media.config },
    ...(deps.media.thumbnailer && { thumbnailer: deps.media.thumbnailer }),
  });
  if (transport && directory) {
    federation = connectFederation(deps, {
      transport,
      signer,
      directory,
      notifier,
      typing,
      rooms,
      keys,
      media,
    });
  }
  const routes = [
    ...accountRoutes({
      ...shared,
      logger,
      serverName,
      randomBytes,
      pbkdf2,
      config,
      rooms: rooms.accountHooks,
      ...(directory && { remoteProfiles: directory }),
      deviceRemoval: keys.deviceRemoval,
    }),
    ...rooms.routes,
    ...keys.routes,
    ...media.routes,
    ...syncRoutes({
      ...shared,
      typing,
      accounts: syncAccounts(shared),
      keys: keys.sync,
      view: {
        log: commits,
        tables: new Set(Object.keys(federationTables)),
        ...(store.peek && { peek: (table: string, key: string) => store.peek!(table, key) }),
      },
      ...(federation && { receiptSent: federation.receiptSent }),
    }),
    ...voipRoutes({ clock, logger, ...(deps.turn && { turn: deps.turn }) }),
  ];
  const activity = createDeviceActivity({ store, clock, logger });
  const route = createRouter({
    routes,
    logger,
    rateLimiter: new RateLimiter({ ...DEFAULT_RATE_LIMITS, ...config.rateLimits }, clock),
    authenticate: async (token) => {
      const caller = await authenticate(store, token, clock.now());
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
  // History stored before the search entries were in the event rows (schema
  // version 11; from before version 4, before there was any index) is
  // indexed in the background, a batch at a time, once start is over: never
  // before the first requests (the worker's cold start is measured to its
  // first /versions), and yielding to them between batches.
  const reindexed = clock
    .sleep(REINDEX_START_DELAY_MS, stopped)
    .then(() =>
      reindexSearch(
        store,
        () => closing,
        () => clock.sleep(0, stopped),
      ),
    )
    .catch((err: unknown) => logger.warn('search re-index stopped', { error: String(err) }));

  return {
    serverName,
    notifier,
    media,
    reports: rooms.reports,
    routes: routes.map(({ method, path, auth }) => ({ method, path, auth })),
    settings: ownerSettingsView(store),
    searchReindexed: reindexed,
    ...(federation && { federation }),
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
      await reindexed;
      await federation?.close();
    },
  };
}

interface FederationParts {
  readonly transport: PeerTransport;
  readonly signer: Signer;
  readonly directory: FederationDirectory;
  readonly notifier: Notifier;
  readonly typing: TypingTracker;
  readonly rooms: Rooms;
  readonly keys: KeysModule;
  readonly media: MediaModule;
}

/**
 * Step two: room federation over the rooms module's port, serving the
 * network directory's, the keys module's and the media module's endpoints
 * and EDUs on the same transport, connected back to the rooms module (remote
 * joins and leaves, the outbox of local events), the keys module (the
 * outbox, calls to other servers) and the media module (other peers' media
 * fetched into its cache).
 */
function connectFederation(deps: HomeserverDeps, parts: FederationParts): Federation {
  const { store, clock, logger, serverName, ed25519 } = deps;
  const { notifier, typing, rooms, keys, directory, media } = parts;
  const federation = createFederation({
    store,
    clock,
    logger,
    notifier,
    serverName,
    signer: parts.signer,
    ed25519,
    ...(deps.ed25519Aside && { ed25519Aside: deps.ed25519Aside }),
    transport: parts.transport,
    rooms: rooms.federationPort,
    edus: { ...eduSinks({ store, clock, notifier, typing }), keys: keys.server.edus },
    extraRoutes: [
      ...directory.routes,
      ...keysServerRoutes(keys.server.routes),
      openIdServerRoute({ store, clock, notifier }),
      ...mediaFederationRoutes({ serverName, randomBytes: deps.randomBytes, media }),
    ],
    ...(deps.federationOptions && { options: deps.federationOptions }),
    ...(deps.nodeName && { nodeName: deps.nodeName }),
  });
  rooms.connectFederation(federation.roomHooks);
  keys.connectFederation(keysFederation(federation));
  media.connectRemote(
    createRemoteMedia({
      transport: parts.transport,
      clock,
      logger,
      cache: media,
      maxBytes: media.config.maxUploadBytes,
    }),
  );
  return federation;
}
