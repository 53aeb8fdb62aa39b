// Our users joining rooms held by other servers, and rejecting invites to
// them (spec: server-server API "Joining Rooms", "Leaving Rooms"): ask a
// resident server for a template (make_join / make_leave), sign the event,
// hand it over (send_join / send_leave), and for a join check the state the
// server answers (join-response.ts) before the room becomes ours.
import { MatrixError, forbidden, notFound } from '../errors.ts';
import {
  type JsonObject,
  type JsonValue,
  P2P_KEY_ID,
  type Pdu,
  type RoomEvent,
  type RoomVersion,
  DEFAULT_ROOM_VERSION,
  SUPPORTED_ROOM_VERSIONS,
  eventIdFor,
  roomVersion,
  parseRoomVersion,
  signEvent,
  validatePdu,
} from '../protocol.ts';
import type { RemoteJoinRequest, RemoteLeaveRequest } from '../rooms/deps.ts';
import {
  createJoinedRoom,
  eventRowOf,
  memberOf,
  roomTableNames,
  roomWriteTables,
  storeRemoteLeave,
} from '../rooms/federation-api.ts';
import type { FederationContext } from './context.ts';
import { RemoteCallError, fedPath } from './federation-client.ts';
import { checkJoinResponse } from './join-response.ts';

const V1 = '/_matrix/federation/v1';
const V2 = '/_matrix/federation/v2';
/** A join answer carries the whole room state: allow it more time than a small request. */
const SEND_JOIN_TIMEOUT_MS = 60_000;

const serverOf = (userId: string) => userId.slice(userId.indexOf(':') + 1);

/** Fields of a make_join/make_leave template we sign (nothing else a server adds is taken). */
const TEMPLATE_FIELDS = [
  'room_id',
  'sender',
  'type',
  'state_key',
  'prev_events',
  'auth_events',
  'depth',
] as const;

/** The member event to sign from a resident's template, or why the template is unusable. */
function memberEventFrom(
  template: JsonValue | undefined,
  request: { roomId: string; userId: string },
  content: JsonObject,
  now: number,
): JsonObject {
  if (typeof template !== 'object' || template === null || Array.isArray(template)) {
    throw new Error('the template is not an object');
  }
  const event: JsonObject = {};
  for (const field of TEMPLATE_FIELDS) if (template[field] !== undefined) event[field] = template[field]!;
  if (
    event.room_id !== request.roomId ||
    event.sender !== request.userId ||
    event.state_key !== request.userId
  ) {
    throw new Error('the template is for another room or user');
  }
  if (event.type !== 'm.room.member') throw new Error('the template is not a member event');
  return { ...event, content, origin_server_ts: now };
}

/** Signs and hashes `unsigned` as ours; checks it is a valid PDU. */
async function signMemberEvent(
  fed: FederationContext,
  unsigned: JsonObject,
  version: RoomVersion,
): Promise<RoomEvent> {
  const signed = (await signEvent(
    unsigned,
    fed.serverName,
    P2P_KEY_ID,
    fed.signingSeed,
    version,
  )) as unknown as Pdu;
  const verdict = validatePdu(signed, version);
  if (!verdict.ok) throw new Error(`the template makes an invalid event: ${verdict.reason}`);
  return { ...signed, event_id: await eventIdFor(signed, version) };
}

/** A room version from a template answer we can take part in. */
function versionOf(body: JsonObject): RoomVersion {
  const parsed = parseRoomVersion(body.room_version ?? '1');
  if (!parsed.ok || !parsed.version.supported)
    throw new Error(`room version ${String(body.room_version)} is not supported`);
  return parsed.version;
}

/** The error for the client once every server failed: a refusal wins over unreachability. */
function joinFailure(what: string, errors: readonly unknown[], servers: readonly string[]): MatrixError {
  const refusal = errors.find((e) => e instanceof RemoteCallError && e.status === 403) as
    | RemoteCallError
    | undefined;
  if (refusal) return forbidden(`${what} refused: ${refusal.message}`);
  const tried = servers.length === 0 ? 'no server to ask' : `tried ${servers.length} server(s)`;
  return new MatrixError(
    404,
    'M_NOT_FOUND',
    `${what} failed (${tried}): ${errors.map(String).join('; ').slice(0, 500)}`,
  );
}

/** Joins `request.userId` to a room held elsewhere, trying each server in turn. */
export async function remoteJoin(fed: FederationContext, request: RemoteJoinRequest): Promise<void> {
  const servers = [...new Set(request.servers)].filter((s) => s !== fed.serverName);
  const errors: unknown[] = [];
  for (const server of servers) {
    try {
      await joinThrough(fed, server, request);
      return;
    } catch (err) {
      fed.logger.info('could not join through a server', {
        server,
        roomId: request.roomId,
        error: String(err),
      });
      errors.push(err);
    }
  }
  throw joinFailure(`Joining ${request.roomId}`, errors, servers);
}

async function joinThrough(
  fed: FederationContext,
  server: string,
  request: RemoteJoinRequest,
): Promise<void> {
  const { roomId, userId } = request;
  const made = await fed.client.get(server, V1 + fedPath`/make_join/${roomId}/${userId}`, {
    ver: SUPPORTED_ROOM_VERSIONS,
  });
  const version = versionOf(made);
  const profile = await fed.rooms.profileOf(userId);
  const content: JsonObject = { membership: 'join' };
  if (profile?.displayname !== undefined) content.displayname = profile.displayname;
  if (profile?.avatar_url !== undefined) content.avatar_url = profile.avatar_url;
  if (request.reason !== undefined) content.reason = request.reason;
  const join = await signMemberEvent(
    fed,
    memberEventFrom(made.event, request, content, fed.clock.now()),
    version,
  );
  const { event_id: _id, ...pdu } = join;
  const answer = await fed.client.put(
    server,
    V2 + fedPath`/send_join/${roomId}/${join.event_id}`,
    pdu as unknown as JsonObject,
    SEND_JOIN_TIMEOUT_MS,
  );
  const joined = await checkJoinResponse(fed.logger, answer, version, join);
  const outcome = await fed.rooms.exclusive(roomId, () =>
    fed.store.write(roomWriteTables, (tx) => createJoinedRoom(tx, joined)),
  );
  fed.notifier.notify({ rooms: [roomId], users: [userId, ...outcome.members] });
}

/**
 * Rejects an invite to a room held elsewhere: make_leave/send_leave through
 * the inviting server (or the room's creator's). When none answers, the
 * invite is rejected here only, as Synapse does, so it does not stay forever.
 */
export async function remoteLeave(fed: FederationContext, request: RemoteLeaveRequest): Promise<void> {
  const { roomId, userId } = request;
  const invite = await fed.store.read(roomTableNames, async (tx) => {
    const member = await memberOf(tx, roomId, userId);
    return member && (await eventRowOf(tx, member.event_id));
  });
  if (!invite || (invite.pdu.content.membership !== 'invite' && invite.pdu.content.membership !== 'knock')) {
    throw notFound(`${userId} has no invite to ${roomId}`);
  }
  const content: JsonObject = { membership: 'leave' };
  if (request.reason !== undefined) content.reason = request.reason;
  const servers = [...new Set([serverOf(invite.sender), serverOf(roomId)])].filter(
    (s) => s !== fed.serverName,
  );
  let leave: RoomEvent | undefined;
  for (const server of servers) {
    try {
      leave = await leaveThrough(fed, server, request, content);
      break;
    } catch (err) {
      fed.logger.info('could not leave through a server', { server, roomId, error: String(err) });
    }
  }
  leave ??= await localRejection(fed, invite.pdu, content);
  const event = leave;
  await fed.store.write(roomWriteTables, (tx) => storeRemoteLeave(tx, event));
  fed.notifier.notify({ users: [userId] });
}

async function leaveThrough(
  fed: FederationContext,
  server: string,
  request: RemoteLeaveRequest,
  content: JsonObject,
): Promise<RoomEvent> {
  const { roomId, userId } = request;
  const made = await fed.client.get(server, V1 + fedPath`/make_leave/${roomId}/${userId}`);
  const version = versionOf(made);
  const leave = await signMemberEvent(
    fed,
    memberEventFrom(made.event, request, content, fed.clock.now()),
    version,
  );
  const { event_id: _id, ...pdu } = leave;
  await fed.client.put(
    server,
    V2 + fedPath`/send_leave/${roomId}/${leave.event_id}`,
    pdu as unknown as JsonObject,
  );
  return leave;
}

/**
 * A leave built on the invite alone, kept here only (no server could be
 * told). It is never sent, so the default room version's format will do.
 */
async function localRejection(
  fed: FederationContext,
  invite: RoomEvent,
  content: JsonObject,
): Promise<RoomEvent> {
  const version = roomVersion(DEFAULT_ROOM_VERSION)!;
  const unsigned: JsonObject = {
    room_id: invite.room_id,
    sender: invite.state_key!,
    type: 'm.room.member',
    state_key: invite.state_key!,
    content,
    origin_server_ts: fed.clock.now(),
    prev_events: [invite.event_id],
    auth_events: [],
    depth: invite.depth + 1,
  };
  return signMemberEvent(fed, unsigned, version);
}
