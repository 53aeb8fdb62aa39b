// Opens the homeserver over IndexedDB. Everything it knows is in the
// database, so a worker that was stopped boots into the same server: same
// identity, same accounts, rooms and sync positions.
import {
  bootstrapIdentity,
  cachedHomeserverStore,
  createHomeserver,
  type Homeserver,
  type Logger,
  type PeerTransport,
  SCHEMA,
  type ServerIdentity,
  type TurnSource,
} from '../../src/core/public.ts';
import type { Ed25519 } from '../../src/core/protocol.ts';
import { chooseEd25519 } from '../../src/platform/ed25519.ts';
import { webCryptoPbkdf2 } from '../../src/platform/pbkdf2.ts';
import { systemRandomBytes as randomBytes } from '../../src/platform/system-random.ts';
import { openDexieBlobStore } from '../../src/platform/dexie/dexie-blob-store.ts';
import { openDexieStore } from '../../src/platform/dexie/dexie-store.ts';
import { canvasThumbnailer } from '../../src/platform/web/canvas-thumbnailer.ts';
import { HOMESERVER_ORIGIN } from '../../src/platform/web/homeserver-url.ts';
import { systemClock } from '../../src/platform/system-clock.ts';
import { tracedStore } from '../../src/platform/trace.ts';
import { POPUP_CLIENT } from './client-names.ts';
import { DATABASE_NAME, MEDIA_DATABASE_NAME } from './database-names.ts';
import { deferredBlobStore } from './deferred-blobs.ts';
import type { WrappedEd25519 } from './verifier-link.ts';
import { workerTrace } from './worker-trace.ts';

/** What the homeserver gets from the libp2p node. */
export interface NodeParts {
  /** The peer transport for the server's identity (the libp2p node uses the same key): it federates. */
  readonly transportFor: (identity: ServerIdentity) => PeerTransport;
  /** The name the user gave this node in the settings, which peers show. */
  readonly nodeName: () => Promise<string | undefined>;
  /** TURN credentials from the node's relays, for calls. */
  readonly turn: TurnSource;
}

export interface HomeserverBootDeps {
  readonly logger: Logger;
  /** The libp2p node; without it the homeserver does not federate. */
  readonly node?: NodeParts;
  /**
   * Which clients may create accounts (the popup, and the sites the user
   * allowed to: origin-approvals.ts); by default none but the popup.
   */
  readonly mayRegister?: (client: string | undefined) => Promise<boolean>;
  /** Wraps the platform's Ed25519 (Chrome: checks batches of signatures in a Worker, verifier-link.ts). */
  readonly ed25519For?: (ed25519: Ed25519) => WrappedEd25519;
}

export async function bootHomeserver({
  logger,
  node,
  mayRegister = async (client) => client === POPUP_CLIENT,
  ed25519For = (ed25519) => ({ ed25519 }),
}: HomeserverBootDeps): Promise<Homeserver> {
  // Only what answering a request needs is awaited (the row store, the
  // identity): the media database opens meanwhile and the orphan sweep runs
  // after (deferred-blobs.ts), off a client's first request.
  const media = deferredBlobStore(openDexieBlobStore(MEDIA_DATABASE_NAME));
  const [rows, platformEd25519] = await Promise.all([openDexieStore(DATABASE_NAME, SCHEMA), chooseEd25519()]);
  const { ed25519, aside } = ed25519For(platformEd25519);
  const store = cachedHomeserverStore(tracedStore(rows, workerTrace), SCHEMA);
  const identity = await bootstrapIdentity(store, randomBytes, ed25519);
  logger.info('homeserver ready', { serverName: identity.serverName });
  const transport = node?.transportFor(identity);
  const homeserver = createHomeserver({
    ...(transport && { transport }),
    ...(node && { nodeName: node.nodeName, turn: node.turn }),
    store,
    clock: systemClock,
    randomBytes,
    ed25519,
    ...(aside && { ed25519Aside: aside }),
    pbkdf2: webCryptoPbkdf2,
    logger,
    serverName: identity.serverName,
    signingSeed: identity.seed,
    // Only pages the user approved reach this server, and only those the user
    // also allowed to create accounts may register (issue 12, finding 5).
    config: { registration: 'open', mayRegister, baseUrl: HOMESERVER_ORIGIN },
    // The core's default upload limit, as for `serve`: request bodies cross the
    // runtime port in chunks (client-wire.ts), so no port message caps it.
    media: { blobs: media.blobs, thumbnailer: canvasThumbnailer },
  });
  // Content a stopped worker stored but never named (see MediaModule.sweepOrphans).
  media.holdCreationUntil(
    homeserver.media.sweepOrphans().catch((err: unknown) => {
      logger.error('media orphan sweep failed', { error: String(err) });
    }),
  );
  return homeserver;
}
