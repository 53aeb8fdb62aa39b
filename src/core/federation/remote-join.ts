// A local user joining a room held by other servers (spec: server-server API
// "Joining Rooms"): make_join on a resident server, sign the join, send_join,
// check everything the server answers (join-response.ts), then the room is
// ours. Each candidate server is tried in turn.
import { backfillRoom } from './inbound/backfill.ts';
import type { JsonObject, RoomEvent, RoomVersion } from '../protocol.ts';
import type { RemoteJoinRequest } from '../rooms/api.ts';
import {
  createJoinedRoom,
  joinedRoomIds,
  joinedServers,
  roomTableNames,
  roomWriteTables,
} from '../rooms/federation-api.ts';
import { intakePdu } from './pdu-intake.ts';
import type { FederationContext } from './context.ts';
import { RemoteCallError, fedPath } from './federation-client.ts';
import { BadJoinResponse, checkJoinResponse } from './join-response.ts';
import { V2, joinFailure, memberContentFor, memberEventThrough } from './member-events.ts';

/** A join answer carries the whole room state: allow it more time than a small request. */
const SEND_JOIN_TIMEOUT_MS = 60_000;

/** Joins `request.userId` to a room held elsewhere, trying each server in turn. */
export async function remoteJoin(fed: FederationContext, request: RemoteJoinRequest): Promise<void> {
  const servers = [...new Set(request.servers)].filter((s) => s !== fed.serverName);
  const errors: unknown[] = [];
  let widened = false;
  for (let i = 0; i < servers.length; i++) {
    const server = servers[i]!;
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
    if (i === servers.length - 1 && !widened && errors.some(cannotVouch)) {
      // A restricted room whose residents asked so far are not in its allowed
      // rooms (or have no one who may invite): ask the peers of the rooms the
      // user is in, where the allowed room (a space) usually is.
      widened = true;
      for (const peer of await peersOfUsersRooms(fed, request.userId))
        if (!servers.includes(peer)) servers.push(peer);
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
  const content = await memberContentFor(fed, 'join', request);
  const { event: join, version } = await memberEventThrough(fed, server, 'join', request, content);
  const { event_id: _id, ...pdu } = join;
  const answer = await fed.client.put(
    server,
    V2 + fedPath`/send_join/${roomId}/${join.event_id}`,
    pdu as unknown as JsonObject,
    SEND_JOIN_TIMEOUT_MS,
  );
  const joined = await checkJoinResponse(fed, answer, version, await vouched(fed, join, answer, version));
  const outcome = await fed.rooms.exclusive(roomId, () =>
    fed.store.write(roomWriteTables, (tx) => createJoinedRoom(tx, joined)),
  );
  fed.notifier.notify({ rooms: [roomId], users: [userId, ...outcome.members] });
  // The room's past, a first page of it, while the user looks at the room
  // (/messages asks for more as they scroll: inbound/backfill.ts).
  backfillRoom(fed, roomId, fed.backfillLimits.pageSize).catch((err) =>
    fed.logger.info('backfill after a join failed', { roomId, error: String(err) }),
  );
}

/** The resident could not vouch for a restricted join (spec: make_join's errors). */
function cannotVouch(err: unknown): boolean {
  return (
    err instanceof RemoteCallError &&
    (err.errcode === 'M_UNABLE_TO_AUTHORISE_JOIN' || err.errcode === 'M_UNABLE_TO_GRANT_JOIN')
  );
}

/** At most this many more servers are asked for a restricted join. */
const MAX_EXTRA_SERVERS = 20;

/** Servers in the rooms the user is joined to (where a restricted room's allowed rooms usually are). */
async function peersOfUsersRooms(fed: FederationContext, userId: string): Promise<string[]> {
  return fed.store.read(roomTableNames, async (tx) => {
    const peers = new Set<string>();
    for (const roomId of await joinedRoomIds(tx, userId)) {
      for (const server of await joinedServers(tx, roomId)) if (server !== fed.serverName) peers.add(server);
      if (peers.size >= MAX_EXTRA_SERVERS) break;
    }
    return [...peers].slice(0, MAX_EXTRA_SERVERS);
  });
}

/**
 * A restricted join comes back from send_join with the authorising server's
 * signature (`event`): the same event (same id), checked as any PDU, whose
 * signatures now include that server's (auth rule 4.2).
 */
async function vouched(
  fed: FederationContext,
  join: RoomEvent,
  answer: JsonObject,
  version: RoomVersion,
): Promise<RoomEvent> {
  if (join.content.join_authorised_via_users_server === undefined) return join;
  const intake = await intakePdu(fed.ed25519, answer.event, version, join.room_id);
  if (!intake.ok || intake.redacted || intake.event.event_id !== join.event_id)
    throw new BadJoinResponse('the authorising server did not return our join with its signature');
  return intake.event;
}
