// PUT /_matrix/federation/v2/invite (spec: server-server API "Inviting to a
// room"): another server invites one of our users.
import { MatrixError, badJson, forbidden, notFound } from '../../errors.ts';
import {
  type JsonObject,
  type JsonValue,
  type RoomEvent,
  parseRoomVersion,
  pduFromRoomEvent,
  signEvent,
} from '../../protocol.ts';
import {
  type StrippedStateEvent,
  eventRowOf,
  heldRoomVersion,
  joinedServers,
  roomWriteTables,
  storeRemoteInvite,
} from '../../rooms/federation-api.ts';
import type { FederationContext } from '../context.ts';
import { intakePdu } from '../pdu-intake.ts';
import { type FederationRouteContext, ok } from '../route-registry.ts';
import { jsonBody } from './route-helpers.ts';

const serverOf = (userId: string) => userId.slice(userId.indexOf(':') + 1);

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
export async function invite(fed: FederationContext, ctx: FederationRouteContext) {
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
  const intake = await intakePdu(fed.ed25519, body.event, version, roomId);
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
  const signed = await signEvent(pdu, fed.signer, version);
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
