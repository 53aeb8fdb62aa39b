// The Server-Server endpoints through which other servers' users join and
// leave rooms held here, and our users get invited (spec: server-server API
// "Joining Rooms", "Leaving Rooms", "Inviting to a room").
import { MatrixError, badJson, forbidden, notFound } from '../../errors.ts';
import {
  type JsonObject,
  type JsonValue,
  P2P_KEY_ID,
  type RoomEvent,
  type RoomVersion,
  parseRoomVersion,
  pduFromRoomEvent,
  signEvent,
} from '../../protocol.ts';
import {
  type StrippedStateEvent,
  eventRowOf,
  heldRoomVersion,
  joinedServers,
  roomTableNames,
  roomWriteTables,
  stateOfGroup,
  storeRemoteInvite,
} from '../../rooms/federation-api.ts';
import type { FederationContext } from '../context.ts';
import { authChain, servableRow } from '../event-graph.ts';
import { receivePdus } from '../inbound/receive-pdus.ts';
import { intakePdu } from '../pdu-intake.ts';
import { type FederationRoute, type FederationRouteContext, ok } from '../route-registry.ts';
import { eventTemplate } from '../templates.ts';
import { V1, V2, jsonBody, params } from './route-helpers.ts';

const serverOf = (userId: string) => userId.slice(userId.indexOf(':') + 1);

export function membershipRoutes(fed: FederationContext): FederationRoute[] {
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
    { method: 'PUT', path: `${V2}/invite/{roomId}/{eventId}`, handler: (ctx) => invite(fed, ctx) },
  ];
}

async function heldVersion(fed: FederationContext, roomId: string): Promise<RoomVersion> {
  const version = await fed.store.read(roomTableNames, (tx) => heldRoomVersion(tx, roomId));
  if (!version) throw notFound(`Room ${roomId} is not known here`);
  return version;
}

/**
 * GET /_matrix/federation/v1/make_join/{roomId}/{userId}?ver= and
 * GET /_matrix/federation/v1/make_leave/{roomId}/{userId}: a template for the
 * user's member event, for a user of the requesting server only.
 */
async function makeMember(fed: FederationContext, ctx: FederationRouteContext, membership: 'join' | 'leave') {
  const { roomId, userId } = ctx.params as { roomId: string; userId: string };
  if (serverOf(userId) !== ctx.origin) throw forbidden(`${ctx.origin} cannot act for ${userId}`);
  const version = await heldVersion(fed, roomId);
  if (membership === 'join') {
    const supported = params(ctx, 'ver');
    if (!(supported.length === 0 ? ['1'] : supported).includes(version.id)) {
      throw new MatrixError(400, 'M_INCOMPATIBLE_ROOM_VERSION', `The room has version ${version.id}`, {
        room_version: version.id,
      });
    }
  }
  const draft = { type: 'm.room.member', sender: userId, stateKey: userId, content: { membership } };
  const event = await fed.store.read(roomTableNames, (tx) =>
    eventTemplate(tx, roomId, version, draft, fed.clock.now()),
  );
  return ok({ room_version: version.id, event });
}

/** A member event sent to send_join or send_leave, checked as any PDU (steps 1 to 6) and placed. */
async function acceptMemberEvent(
  fed: FederationContext,
  ctx: FederationRouteContext,
  membership: 'join' | 'leave',
): Promise<{ event: RoomEvent; version: RoomVersion }> {
  const { roomId, eventId } = ctx.params as { roomId: string; eventId: string };
  const version = await heldVersion(fed, roomId);
  const intake = await intakePdu(jsonBody(ctx), version, roomId);
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

/** PUT /_matrix/federation/v2/send_join/{roomId}/{eventId}: the state before the join and its auth chain. */
async function sendJoin(fed: FederationContext, ctx: FederationRouteContext) {
  const { event, version } = await acceptMemberEvent(fed, ctx, 'join');
  const answer = await fed.store.read(roomTableNames, async (tx) => {
    const row = await eventRowOf(tx, event.event_id);
    const ids = [...(await stateOfGroup(tx, row!.sg_before)).values()];
    const state: RoomEvent[] = [];
    for (const id of ids) {
      const stateRow = await servableRow(tx, id);
      if (stateRow) state.push(stateRow.pdu);
    }
    return {
      state,
      chain: await authChain(tx, [...ids, event.event_id]),
      servers: await joinedServers(tx, event.room_id),
    };
  });
  const wire = (e: RoomEvent) => pduFromRoomEvent(e, version) as unknown as JsonObject;
  return ok({
    origin: fed.serverName,
    state: answer.state.map(wire),
    auth_chain: answer.chain.map(wire),
    members_omitted: false,
    servers_in_room: [...answer.servers],
  });
}

/** PUT /_matrix/federation/v2/send_leave/{roomId}/{eventId} */
async function sendLeave(fed: FederationContext, ctx: FederationRouteContext) {
  await acceptMemberEvent(fed, ctx, 'leave');
  return ok({});
}

const MAX_INVITE_STATE = 50;

/** The stripped state events of invite_room_state that have the expected shape. */
function strippedStateOf(value: JsonValue | undefined): StrippedStateEvent[] {
  if (!Array.isArray(value)) return [];
  const out: StrippedStateEvent[] = [];
  for (const item of value.slice(0, MAX_INVITE_STATE)) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) continue;
    const { type, state_key: stateKey, sender, content } = item;
    if (typeof type !== 'string' || typeof stateKey !== 'string' || typeof sender !== 'string') continue;
    if (typeof content !== 'object' || content === null || Array.isArray(content)) continue;
    out.push({ type, state_key: stateKey, sender, content });
  }
  return out;
}

/**
 * PUT /_matrix/federation/v2/invite/{roomId}/{eventId} {room_version, event, invite_room_state}:
 * an invite of one of our users, checked (steps 1 to 3), signed by us and
 * returned. When this server is not in the room (the usual case), the invite
 * is stored with its stripped state so the user sees it in sync.
 */
async function invite(fed: FederationContext, ctx: FederationRouteContext) {
  const { roomId, eventId } = ctx.params as { roomId: string; eventId: string };
  const body = jsonBody(ctx);
  const parsed = parseRoomVersion(body.room_version);
  if (!parsed.ok || !parsed.version.supported) {
    throw new MatrixError(
      400,
      'M_INCOMPATIBLE_ROOM_VERSION',
      `Room version ${String(body.room_version)} is not supported`,
      {
        room_version: String(body.room_version),
      },
    );
  }
  const { version } = parsed;
  const intake = await intakePdu(body.event, version, roomId);
  if (!intake.ok) throw badJson(intake.reason);
  if (intake.redacted) throw badJson('The invite does not match its content hash');
  const { event } = intake;
  const invitee = event.state_key;
  if (event.event_id !== eventId) throw badJson(`The event's id is ${event.event_id}, not ${eventId}`);
  if (event.type !== 'm.room.member' || event.content.membership !== 'invite' || invitee === undefined) {
    throw badJson('Expected an invite');
  }
  if (serverOf(event.sender) !== ctx.origin) throw forbidden(`${ctx.origin} cannot act for ${event.sender}`);
  if (serverOf(invitee) !== fed.serverName || !(await fed.rooms.userExists(invitee))) {
    throw notFound(`${invitee} is not a user of this server`);
  }
  const { event_id: _id, ...pdu } = event;
  const signed = await signEvent(pdu, fed.serverName, P2P_KEY_ID, fed.signingSeed, version);
  const stored = { ...signed, event_id: event.event_id } as RoomEvent;
  await storeInvite(fed, stored, strippedStateOf(body.invite_room_state));
  return ok({ event: pduFromRoomEvent(stored, version) as unknown as JsonObject });
}

async function storeInvite(
  fed: FederationContext,
  event: RoomEvent,
  state: StrippedStateEvent[],
): Promise<void> {
  const stored = await fed.store.write(roomWriteTables, async (tx) => {
    const held = await heldRoomVersion(tx, event.room_id);
    // In the room already: the invite comes with the room's own traffic.
    if (held && (await joinedServers(tx, event.room_id)).has(fed.serverName)) return false;
    if (await eventRowOf(tx, event.event_id)) return false;
    await storeRemoteInvite(tx, event, state);
    return true;
  });
  if (stored) fed.notifier.notify({ users: [event.state_key!] });
}
