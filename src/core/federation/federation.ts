// Room federation: the Server-Server API over a PeerTransport (transport.ts).
// createFederation serves the endpoints (routes/, plus any `extraRoutes`,
// e.g. the network directory's), receives PDUs and EDUs (inbound/),
// delivers local events and EDUs through the persisted outbox (outbound.ts,
// sender.ts), joins, knocks on and leaves rooms held elsewhere (remote-join.ts,
// remote-knock.ts, remote-leave.ts), and catches up with peers that come back
// (`onPeer` up: flush their queue at once and offer them our forward extremities;
// any request from a peer whose queue waits out a backoff: flush it).
//
// Wiring: createHomeserver (homeserver.ts). Federation is made over
// the rooms module's port, and the rooms module then gets `roomHooks`
// (Rooms.connectFederation): the one dependency each way, both explicit.
import type { Clock, Logger } from '../ports.ts';
import type { Ed25519, Signer } from '../protocol/ed25519.ts';
import type { FederationForRooms, RemoteJoinRequest, RemoteLeaveRequest } from '../rooms/api.ts';
import type { RoomFederationPort } from '../rooms/federation-api.ts';
import type { Store } from '../storage/port.ts';
import type { Notifier } from '../events/notifier.ts';
import { type BackoffOptions, defaultBackoff } from './backoff.ts';
import { VERSION_PATH, versionBody } from './node-name.ts';
import type { FederationContext } from './context.ts';
import { type EduSinks, type RemoteReceipt, receiptEdu } from './edus.ts';
import { type FederationClient, createFederationClient } from './federation-client.ts';
import { enqueue } from './outbox.ts';
import { OUTBOX } from './tables.ts';
import type { JsonObject } from '../protocol/types.ts';
import type { WriteTx } from '../storage/port.ts';
import {
  type BackfillLimits,
  BackfillTally,
  backfillRoom,
  defaultBackfillLimits,
} from './inbound/backfill.ts';
import { type InboundLimits, defaultInboundLimits } from './inbound/inbound-deps.ts';
import {
  MAX_TRANSACTION_EDUS,
  MAX_TRANSACTION_PDUS,
  createTransactionReceiver,
} from './inbound/transaction.ts';
import { KeyedQueue } from '../keyed-queue.ts';
import { StateCache } from './state-cache.ts';
import { createOutbound } from './outbound.ts';
import { authorisedJoin, remoteJoin } from './remote-join.ts';
import { askTimestamp, timestampRoutes } from './timestamp.ts';
import { remoteKnock } from './remote-knock.ts';
import { hierarchyRoutes, remoteHierarchy } from './hierarchy.ts';
import { remoteLeave } from './remote-leave.ts';
import { type FederationRoute, federationRouter, ok } from './route-registry.ts';
import { membershipRoutes } from './routes/membership-routes.ts';
import { roomReadRoutes } from './routes/room-read-routes.ts';
import { V1, jsonBody } from './routes/route-helpers.ts';
import { localTyping } from './local-typing.ts';
import { type SenderState, createSenders } from './sender.ts';
import type { PeerTransport } from './transport.ts';

export interface FederationOptions {
  readonly backoff: BackoffOptions;
  readonly inbound: InboundLimits;
  readonly backfill: BackfillLimits;
}

export interface FederationDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly notifier: Notifier;
  readonly serverName: string;
  readonly signer: Signer;
  readonly ed25519: Ed25519;
  /** For a received transaction's checks (inbound/inbound-deps.ts). */
  readonly ed25519Aside?: Ed25519;
  readonly transport: PeerTransport;
  /** The rooms module's side (rooms/federation-api.ts roomFederationPort). */
  readonly rooms: RoomFederationPort;
  /** Where incoming typing, receipts and presence go (module-adapters.ts eduSinks). */
  readonly edus?: EduSinks;
  /** More Server-Server endpoints served on the same transport (the network directory's). */
  readonly extraRoutes?: readonly FederationRoute[];
  readonly options?: Partial<FederationOptions>;
  /** This node's human-readable name now (node-name.ts), if its owner gave one. */
  readonly nodeName?: () => Promise<string | undefined>;
}

export type FederationRoomHooks = FederationForRooms;

export interface Federation {
  /** What the rooms module asks of room federation: connect it with Rooms.connectFederation (see the header). */
  readonly roomHooks: FederationRoomHooks;
  /** The typing state of a room changed; local users' starts and stops go out as m.typing. */
  typingChanged(roomId: string, typers: readonly string[]): void;
  /** A local user's public read receipt: goes out as m.receipt. */
  receiptSent(receipt: RemoteReceipt): void;
  /** Tables queueEdu writes (open the caller's transaction over them too). */
  readonly outboxTables: readonly string[];
  /** Queues an EDU to each destination in the caller's transaction; wake them after it committed. */
  queueEdu(
    tx: WriteTx,
    destinations: Iterable<string>,
    eduType: string,
    content: JsonObject,
  ): Promise<string[]>;
  /** Something was queued for these destinations (after commit). */
  wake(destinations: readonly string[]): void;
  /** Calls to other servers (answers are untrusted: see federation-client.ts). */
  readonly client: FederationClient;
  /** What the sender to `destination` does now (tests and benches wait on it). */
  senderState(destination: string): SenderState;
  /** Every Server-Server route served (method and pattern), for tools that drive them all (the fuzzer). */
  readonly routes: readonly Pick<FederationRoute, 'method' | 'path'>[];
  /** Stops the senders; the transport is the caller's to close. */
  close(): void;
}

export function createFederation(deps: FederationDeps): Federation {
  const { store, logger, serverName } = deps;
  const client = createFederationClient(deps.transport);
  const options = {
    backoff: defaultBackoff,
    inbound: defaultInboundLimits,
    backfill: defaultBackfillLimits,
    ...deps.options,
  };
  const senders = createSenders({
    store,
    clock: deps.clock,
    logger,
    serverName,
    client,
    backoff: options.backoff,
    maxPdus: MAX_TRANSACTION_PDUS,
    maxEdus: MAX_TRANSACTION_EDUS,
  });
  const outbound = createOutbound({ store, serverName, senders });
  const fed: FederationContext = {
    store,
    logger,
    notifier: deps.notifier,
    client,
    rooms: deps.rooms,
    queue: new KeyedQueue(),
    stateCache: new StateCache(),
    limits: options.inbound,
    backfillLimits: options.backfill,
    backfilled: new BackfillTally(),
    clock: deps.clock,
    serverName,
    signer: deps.signer,
    ed25519: deps.ed25519,
    ...(deps.ed25519Aside && { ed25519Aside: deps.ed25519Aside }),
    outbound,
    senders,
    edus: { serverName, store, logger, sinks: deps.edus ?? {} },
  };
  const routes = [...serverRoutes(fed, deps.nodeName), ...(deps.extraRoutes ?? [])];
  const router = federationRouter(routes);
  deps.transport.onRequest((origin, req) => {
    senders.heardFrom(origin);
    return router(origin, req);
  });
  deps.transport.onPeer((peer, state) => {
    if (state !== 'up') return;
    senders.peerUp(peer);
    outbound
      .offerExtremities(peer)
      .catch((err) => logger.warn('catch-up failed', { peer, error: String(err) }));
  });
  senders.resume().catch((err) => logger.warn('could not resume the outbox', { error: String(err) }));
  const typing = localTyping(fed);
  return {
    roomHooks: {
      remoteJoin: (request: RemoteJoinRequest) => remoteJoin(fed, request),
      authorisedJoin: (request: RemoteJoinRequest) => authorisedJoin(fed, request),
      remoteKnock: (request: RemoteJoinRequest) => remoteKnock(fed, request),
      remoteHierarchy: (roomId, servers, suggestedOnly) =>
        remoteHierarchy(fed, roomId, servers, suggestedOnly),
      remoteLeave: (request: RemoteLeaveRequest) => remoteLeave(fed, request),
      localEvents: outbound.localEvents,
      backfill: (roomId: string, wanted: number) => backfillRoom(fed, roomId, wanted),
      timestampToEvent: (roomId: string, ts: number, dir: 'b' | 'f') => askTimestamp(fed, roomId, ts, dir),
    },
    typingChanged: typing,
    receiptSent: (receipt) => {
      if (!receipt.userId.endsWith(`:${serverName}`)) return;
      outbound
        .roomEdu(receipt.roomId, receiptEdu(receipt))
        .catch((err) => logger.warn('receipt not queued', { error: String(err) }));
    },
    outboxTables: [OUTBOX],
    queueEdu: (tx, destinations, eduType, content) =>
      enqueue(tx, destinations, { kind: 'edu', eduType, content }, serverName),
    wake: (destinations) => {
      for (const destination of destinations) senders.wake(destination);
    },
    client,
    senderState: (destination) => senders.state(destination),
    routes: routes.map(({ method, path }) => ({ method, path })),
    close: () => senders.close(),
  };
}

/** version and send: the endpoints that are not about one room's DAG. */
function serverRoutes(
  fed: FederationContext,
  nodeName?: () => Promise<string | undefined>,
): FederationRoute[] {
  const transactions = createTransactionReceiver(fed);
  return [
    {
      method: 'GET',
      path: VERSION_PATH,
      handler: async () => ok(versionBody(await nodeName?.())),
    },
    {
      method: 'PUT',
      path: `${V1}/send/{txnId}`,
      handler: async (ctx) => ok(await transactions.receive(ctx.origin, ctx.params.txnId!, jsonBody(ctx))),
    },
    ...roomReadRoutes(fed),
    ...timestampRoutes(fed),
    ...membershipRoutes(fed),
    ...hierarchyRoutes(fed),
  ];
}
