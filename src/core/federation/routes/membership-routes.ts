// The Server-Server endpoints through which other servers' users join,
// knock on and leave rooms held here, and our users get invited (spec:
// server-server API "Joining Rooms", "Knocking on rooms", "Leaving Rooms",
// "Inviting to a room": invite-route.ts).
import { MatrixError, badJson, forbidden, notFound, quotaExceeded } from '../../errors.ts';
import {
  type JsonObject,
  type RoomEvent,
  type RoomVersion,
  pduFromRoomEvent,
  signEvent,
} from '../../protocol.ts';
import {
  eventRowOf,
  heldRoomVersion,
  joinAuthoriser,
  joinedServers,
  roomMembers,
  roomTableNames,
  stateOfGroup,
  strippedState,
} from '../../rooms/federation-api.ts';
import { KeyedQueue } from '../../keyed-queue.ts';
import type { FederationContext } from '../context.ts';
import { authChain, servableRows } from '../event-graph.ts';
import { receivePdus } from '../inbound/receive-pdus.ts';
import { intakePdu } from '../pdu-intake.ts';
import { type FederationRoute, type FederationRouteContext, ok } from '../route-registry.ts';
import { eventTemplate } from '../templates.ts';
import { invite } from './invite-route.ts';
import { V1, V2, joinRuleOf, jsonBody, params } from './route-helpers.ts';

const serverOf = (userId: string) => userId.slice(userId.indexOf(':') + 1);

/**
 * Knocks waiting for an answer in one room of ours: from the users of one
 * other server, and from all servers together. A knock is a state event the
 * room keeps and every member's client shows, and user ids are free on a
 * peer's own server; past these a knock is refused (429) until the room's
 * admins answer some, as invites are (invite-route.ts). Only this entry
 * point counts: the same knocks reaching us through the room's own traffic
 * are already the room's.
 */
export const MAX_PENDING_KNOCKS_PER_SERVER = 20;
export const MAX_PENDING_KNOCKS_PER_ROOM = 100;

export function membershipRoutes(fed: FederationContext): FederationRoute[] {
  const knocks = new KeyedQueue();
  return [
    {
      method: 'GET',
      path: `${V1}/make_join/{roomId}/{userId}`,
      handler: (ctx) => makeMember(fed, ctx, 'join'),
    },
    { method: 'PUT', path: `${V2}/send_join/{roomId}/{eventId}`, handler: (ctx) => sendJoin(fed, ctx) },
    {
      method: 'GET',
      path: `${V1}/make_leave/{roomId}/{userId}`,
      handler: (ctx) => makeMember(fed, ctx, 'leave'),
    },
    { method: 'PUT', path: `${V2}/send_leave/{roomId}/{eventId}`, handler: (ctx) => sendLeave(fed, ctx) },
    {
      method: 'GET',
      path: `${V1}/make_knock/{roomId}/{userId}`,
      handler: (ctx) => makeMember(fed, ctx, 'knock'),
    },
    {
      method: 'PUT',
      path: `${V1}/send_knock/{roomId}/{eventId}`,
      // One knock at a time per room, so that concurrent knocks cannot pass the quota together.
      handler: (ctx) => knocks.run((ctx.params as { roomId: string }).roomId, () => sendKnock(fed, ctx)),
    },
    { method: 'PUT', path: `${V2}/invite/{roomId}/{eventId}`, handler: (ctx) => invite(fed, ctx) },
  ];
}

async function heldVersion(fed: FederationContext, roomId: string): Promise<RoomVersion> {
  const version = await fed.store.read(roomTableNames, (tx) => heldRoomVersion(tx, roomId));
  if (!version) throw notFound(`Room ${roomId} is not known here`);
  return version;
}

type MemberChange = 'join' | 'leave' | 'knock';

const incompatible = (version: RoomVersion, why: string) =>
  new MatrixError(400, 'M_INCOMPATIBLE_ROOM_VERSION', why, { room_version: version.id });

/**
 * GET /_matrix/federation/v1/make_join/{roomId}/{userId}?ver=,
 * GET /_matrix/federation/v1/make_knock/{roomId}/{userId}?ver= and
 * GET /_matrix/federation/v1/make_leave/{roomId}/{userId}: a template for the
 * user's member event, for a user of the requesting server only. A knock
 * needs a room version with knocking (7+) and a join rule that allows it
 * (spec: make_knock answers 403 otherwise).
 */
async function makeMember(fed: FederationContext, ctx: FederationRouteContext, membership: MemberChange) {
  const { roomId, userId } = ctx.params as { roomId: string; userId: string };
  if (serverOf(userId) !== ctx.origin) throw forbidden(`${ctx.origin} cannot act for ${userId}`);
  const version = await heldVersion(fed, roomId);
  if (membership !== 'leave') {
    const supported = params(ctx, 'ver');
    if (!(supported.length === 0 && membership === 'join' ? ['1'] : supported).includes(version.id)) {
      throw incompatible(version, `The room has version ${version.id}`);
    }
  }
  if (membership === 'knock') {
    if (!version.knock) throw incompatible(version, `Room version ${version.id} has no knocking`);
    const rule = await fed.store.read(roomTableNames, (tx) => joinRuleOf(tx, roomId));
    if (rule !== 'knock' && !(rule === 'knock_restricted' && version.knockRestricted)) {
      throw forbidden(`The room's join rule (${rule ?? 'none'}) does not allow knocking`);
    }
  }
  const event = await fed.store.read(roomTableNames, async (tx) => {
    const content: JsonObject = { membership };
    // A restricted room: one of our members with the invite level vouches (restricted-join.ts).
    const via =
      membership === 'join' ? await joinAuthoriser(tx, roomId, userId, fed.serverName, version) : undefined;
    if (via !== undefined) content.join_authorised_via_users_server = via;
    const draft = { type: 'm.room.member', sender: userId, stateKey: userId, content };
    return eventTemplate(tx, roomId, version, draft, fed.clock.now());
  });
  return ok({ room_version: version.id, event });
}

/** A member event sent to send_join or send_leave, checked as any PDU (steps 1 to 6) and placed. */
async function acceptMemberEvent(
  fed: FederationContext,
  ctx: FederationRouteContext,
  membership: MemberChange,
): Promise<{ event: RoomEvent; version: RoomVersion }> {
  const { roomId, eventId } = ctx.params as { roomId: string; eventId: string };
  const version = await heldVersion(fed, roomId);
  const body = membership === 'join' ? await vouchedJoin(fed, ctx, version) : jsonBody(ctx);
  const intake = await intakePdu(fed.ed25519, body, version, roomId);
  if (!intake.ok) throw badJson(intake.reason);
  const { event } = intake;
  if (event.event_id !== eventId) throw badJson(`The event's id is ${event.event_id}, not ${eventId}`);
  if (
    event.type !== 'm.room.member' ||
    event.content.membership !== membership ||
    event.state_key !== event.sender
  ) {
    throw badJson(`Expected a ${membership} of the sender`);
  }
  if (serverOf(event.sender) !== ctx.origin) throw forbidden(`${ctx.origin} cannot act for ${event.sender}`);
  const results = await receivePdus(fed, ctx.origin, version, [event]);
  const error = results.get(event.event_id);
  if (error !== undefined) throw forbidden(error);
  const row = await fed.store.read(roomTableNames, (tx) => eventRowOf(tx, event.event_id));
  if (row?.soft_failed) throw forbidden('The current state of the room does not allow this event');
  await fed.outbound.forward([event], ctx.origin);
  return { event, version };
}

/**
 * A join naming one of our users in `join_authorised_via_users_server` gets
 * our signature (auth rule 4.2), once we checked again that we would vouch
 * for it: the user is in an allowed room we are in, and the named user is
 * ours (the auth rules then check that user's membership and level).
 */
async function vouchedJoin(
  fed: FederationContext,
  ctx: FederationRouteContext,
  version: RoomVersion,
): Promise<JsonObject> {
  const body = jsonBody(ctx);
  const content = body.content;
  const via =
    typeof content === 'object' && content !== null && !Array.isArray(content)
      ? content.join_authorised_via_users_server
      : undefined;
  if (via === undefined || !version.restrictedJoins) return body;
  if (typeof via !== 'string' || serverOf(via) !== fed.serverName) return body;
  const { roomId } = ctx.params as { roomId: string };
  const sender = typeof body.sender === 'string' ? body.sender : '';
  const ours = await fed.store.read(roomTableNames, (tx) =>
    joinAuthoriser(tx, roomId, sender, fed.serverName, version),
  );
  if (ours === undefined) throw forbidden('This join needs no authorisation');
  return (await signEvent(body, fed.signer, version)) as JsonObject;
}

/**
 * PUT /_matrix/federation/v2/send_join/{roomId}/{eventId}: the state before
 * the join and its auth chain; a restricted join also gets back the join with
 * our signature (`event`).
 */
async function sendJoin(fed: FederationContext, ctx: FederationRouteContext) {
  const { event, version } = await acceptMemberEvent(fed, ctx, 'join');
  const answer = await fed.store.read(roomTableNames, async (tx) => {
    const row = await eventRowOf(tx, event.event_id);
    const ids = [...(await stateOfGroup(tx, row!.sg_before)).values()];
    const rows = await servableRows(tx, ids);
    return {
      state: [...rows.values()].map((r) => r.pdu),
      chain: await authChain(tx, [...ids, event.event_id], version, rows),
      servers: await joinedServers(tx, event.room_id),
    };
  });
  const wire = (e: RoomEvent) => pduFromRoomEvent(e, version) as unknown as JsonObject;
  const vouched = event.content.join_authorised_via_users_server !== undefined;
  return ok({
    ...(vouched && { event: wire(event) }),
    origin: fed.serverName,
    state: answer.state.map(wire),
    auth_chain: answer.chain.map(wire),
    members_omitted: false,
    servers_in_room: [...answer.servers],
  });
}

/**
 * PUT /_matrix/federation/v1/send_knock/{roomId}/{eventId}: the knock placed
 * (and passed on to the room's other servers), answered with the stripped
 * state the knocker's client shows (spec: `knock_room_state`).
 */
async function sendKnock(fed: FederationContext, ctx: FederationRouteContext) {
  await checkKnockQuota(fed, ctx);
  const { event } = await acceptMemberEvent(fed, ctx, 'knock');
  const state = await fed.store.read(roomTableNames, (tx) => strippedState(tx, event.room_id));
  return ok({ knock_room_state: state as unknown as JsonObject[] });
}

/** Refuses a knock past the pending-knock quotas (a knock again by a user already knocking counts once). */
async function checkKnockQuota(fed: FederationContext, ctx: FederationRouteContext): Promise<void> {
  const { roomId } = ctx.params as { roomId: string };
  const body = jsonBody(ctx);
  const knocker = typeof body.state_key === 'string' ? body.state_key : undefined;
  const pending = (await fed.store.read(roomTableNames, (tx) => roomMembers(tx, roomId, 'knock'))).filter(
    (m) => m.user_id !== knocker,
  );
  if (pending.length >= MAX_PENDING_KNOCKS_PER_ROOM)
    throw quotaExceeded(`${roomId} has ${pending.length} knocks waiting for an answer`);
  const fromOrigin = pending.filter((m) => serverOf(m.user_id) === ctx.origin).length;
  if (fromOrigin >= MAX_PENDING_KNOCKS_PER_SERVER)
    throw quotaExceeded(`${roomId} has ${fromOrigin} knocks from ${ctx.origin} waiting for an answer`);
}

/** PUT /_matrix/federation/v2/send_leave/{roomId}/{eventId} */
async function sendLeave(fed: FederationContext, ctx: FederationRouteContext) {
  await acceptMemberEvent(fed, ctx, 'leave');
  return ok({});
}
