// PUT /_matrix/federation/v2/invite (spec: server-server API "Inviting to a
// room"): another server invites one of our users.
import { MatrixError, badJson, forbidden, notFound, quotaExceeded } from '../../errors.ts';
import {
  type JsonObject,
  type RoomEvent,
  parseRoomVersion,
  pduFromRoomEvent,
  signEvent,
} from '../../protocol.ts';
import {
  type StrippedStateEvent,
  boundedStrippedState,
  eventRowOf,
  heldRoomVersion,
  joinedServers,
  pendingInvites,
  roomWriteTables,
  storeRemoteMembership,
} from '../../rooms/federation-api.ts';
import type { ReadTx } from '../../storage/port.ts';
import type { FederationContext } from '../context.ts';
import { intakePdu } from '../pdu-intake.ts';
import { type FederationRouteContext, ok } from '../route-registry.ts';
import { jsonBody } from './route-helpers.ts';

const serverOf = (userId: string) => userId.slice(userId.indexOf(':') + 1);

/**
 * Pending invites one user may hold from one other server, and from all
 * other servers together: past them an invite is refused (429) until the
 * user answers some. With the stripped state bounded (boundedStrippedState,
 * 64 KiB a room) the invites' share of one /sync is at most 100 × 64 KiB.
 */
export const MAX_PENDING_INVITES_PER_SERVER = 20;
export const MAX_PENDING_INVITES_PER_USER = 100;

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
  // Past the quota an invite is refused before its checks and our signature
  // (a flood of them cost two Ed25519 operations each: issue 12, "latency
  // under attack"); the invitee named here is not trusted yet, so the quota
  // is checked again when the invite is stored.
  const claimed = (body.event as JsonObject | undefined)?.state_key;
  if (typeof claimed === 'string' && serverOf(claimed) === fed.serverName)
    await fed.store.read(roomWriteTables, async (tx) => {
      if (!(await inRoom(tx, fed.serverName, roomId)))
        await checkInviteQuota(tx, fed.serverName, { state_key: claimed, room_id: roomId }, ctx.origin);
    });
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
  await storeInvite(fed, stored, ctx.origin, boundedStrippedState(body.invite_room_state));
  return ok({ event: pduFromRoomEvent(stored, version) as unknown as JsonObject });
}

async function storeInvite(
  fed: FederationContext,
  event: RoomEvent,
  origin: string,
  state: StrippedStateEvent[],
): Promise<void> {
  const stored = await fed.store.write(roomWriteTables, async (tx) => {
    // In the room already: the invite comes with the room's own traffic.
    if (await inRoom(tx, fed.serverName, event.room_id)) return false;
    if (await eventRowOf(tx, event.event_id)) return false;
    await checkInviteQuota(tx, fed.serverName, event, origin);
    await storeRemoteMembership(tx, event, state);
    return true;
  });
  if (stored) fed.notifier.notify({ users: [event.state_key!] });
}

async function inRoom(tx: ReadTx, self: string, roomId: string): Promise<boolean> {
  return (await heldRoomVersion(tx, roomId)) !== undefined && (await joinedServers(tx, roomId)).has(self);
}

/** Refuses an invite past the pending-invite quotas (a re-invite to a room already pending counts once). */
async function checkInviteQuota(
  tx: ReadTx,
  self: string,
  event: Pick<RoomEvent, 'state_key' | 'room_id'>,
  origin: string,
): Promise<void> {
  const pending = (await pendingInvites(tx, event.state_key!)).filter(
    (p) => p.roomId !== event.room_id && serverOf(p.sender) !== self,
  );
  if (pending.length >= MAX_PENDING_INVITES_PER_USER)
    throw quotaExceeded(`${event.state_key} has ${pending.length} invites waiting for an answer`);
  const fromOrigin = pending.filter((p) => serverOf(p.sender) === origin).length;
  if (fromOrigin >= MAX_PENDING_INVITES_PER_SERVER)
    throw quotaExceeded(`${event.state_key} has ${fromOrigin} invites from ${origin} waiting for an answer`);
}
