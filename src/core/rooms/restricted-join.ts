// Restricted joins (spec: client-server "Restricted rooms", room versions 8+,
// `knock_restricted` 10+; server-server "Restricted rooms" under "Joining
// Rooms"): a user who is neither invited nor joined may join when they are
// joined to one of the rooms the join rule's `allow` names, vouched for by a
// joined user with the invite level. This server can vouch only with its own
// users and only for allowed rooms it is in itself (otherwise it cannot see
// the user's membership there).
import { MatrixError, forbidden } from '../errors.ts';
import { type RoomVersion, parsePowerLevels, userPowerLevel } from '../protocol.ts';
import type { ReadTx } from '../storage/port.ts';
import { roomMembers } from './members-read.ts';
import { currentStateEvent } from './state-read.ts';
import { membersTable } from './tables.ts';

/** At most this many `allow` conditions are looked at (a hostile room can list many). */
const MAX_ALLOW = 50;

/** The rooms a restricted join rule allows, or undefined when the rule is not restricted in this version. */
export async function allowedRooms(
  tx: ReadTx,
  roomId: string,
  version: RoomVersion,
): Promise<string[] | undefined> {
  const content = (await currentStateEvent(tx, roomId, 'm.room.join_rules'))?.pdu.content;
  const rule = content?.join_rule;
  const restricted =
    (rule === 'restricted' && version.restrictedJoins) ||
    (rule === 'knock_restricted' && version.knockRestricted);
  if (!restricted) return undefined;
  const allow = Array.isArray(content?.allow) ? content.allow.slice(0, MAX_ALLOW) : [];
  const rooms: string[] = [];
  for (const entry of allow) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) continue;
    if (entry.type === 'm.room_membership' && typeof entry.room_id === 'string') rooms.push(entry.room_id);
  }
  return rooms;
}

/**
 * The local user who vouches for `userId` joining `roomId`, or undefined when
 * no one needs to (the join rule is not restricted, or the user is invited
 * or joined already). Throws the spec's errors: 400
 * M_UNABLE_TO_AUTHORISE_JOIN when this server is in none of the allowed
 * rooms, 403 when the user is in none of them, 400 M_UNABLE_TO_GRANT_JOIN
 * when no local member of the room has the invite level.
 */
export async function joinAuthoriser(
  tx: ReadTx,
  roomId: string,
  userId: string,
  serverName: string,
  version: RoomVersion,
): Promise<string | undefined> {
  const allowed = await allowedRooms(tx, roomId, version);
  if (allowed === undefined) return undefined;
  const current = (await membersTable.get(tx, [roomId, userId]))?.membership;
  if (current === 'join' || current === 'invite') return undefined;
  const local = (id: string) => id.endsWith(`:${serverName}`);
  const visible: string[] = [];
  for (const room of allowed) {
    if ((await roomMembers(tx, room, 'join')).some((m) => local(m.user_id))) visible.push(room);
  }
  if (visible.length === 0) {
    throw new MatrixError(400, 'M_UNABLE_TO_AUTHORISE_JOIN', 'This server is in none of the allowed rooms');
  }
  let member = false;
  for (const room of visible) member ||= (await membersTable.get(tx, [room, userId]))?.membership === 'join';
  if (!member) throw forbidden(`${userId} is in none of the rooms this room allows`);
  const create = (await currentStateEvent(tx, roomId, 'm.room.create'))?.pdu;
  const powerLevels = (await currentStateEvent(tx, roomId, 'm.room.power_levels'))?.pdu;
  const inviteLevel = parsePowerLevels(powerLevels?.content, version).invite;
  for (const candidate of await roomMembers(tx, roomId, 'join')) {
    if (!local(candidate.user_id)) continue;
    if (userPowerLevel(candidate.user_id, powerLevels, create, version) >= inviteLevel)
      return candidate.user_id;
  }
  throw new MatrixError(400, 'M_UNABLE_TO_GRANT_JOIN', 'No member of this server may invite to the room');
}

/** This server could not vouch for a restricted join, though another resident may (spec: make_join's errors). */
export function cannotVouchHere(err: unknown): boolean {
  return (
    err instanceof MatrixError &&
    (err.errcode === 'M_UNABLE_TO_AUTHORISE_JOIN' || err.errcode === 'M_UNABLE_TO_GRANT_JOIN')
  );
}

/** At most this many residents are asked to vouch for a join this server cannot authorise. */
const MAX_AUTHORISERS = 20;

/**
 * The room's other resident servers that may vouch for a restricted join
 * this server cannot authorise: first those also in one of the allowed
 * rooms held here (where they can see the user's membership), then the
 * room's other residents (they may be in an allowed room we do not hold).
 */
export async function residentAuthorisers(
  tx: ReadTx,
  roomId: string,
  serverName: string,
  version: RoomVersion,
): Promise<string[]> {
  const servers = async (room: string) =>
    new Set((await roomMembers(tx, room, 'join')).map((m) => m.user_id.slice(m.user_id.indexOf(':') + 1)));
  const residents = await servers(roomId);
  residents.delete(serverName);
  const first: string[] = [];
  for (const room of (await allowedRooms(tx, roomId, version)) ?? []) {
    for (const server of await servers(room)) if (residents.has(server)) first.push(server);
  }
  return [...new Set([...first, ...residents])].slice(0, MAX_AUTHORISERS);
}
