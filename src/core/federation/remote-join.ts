// A local user joining a room held by other servers (spec: server-server API
// "Joining Rooms"): make_join on a resident server, sign the join, send_join,
// check everything the server answers (join-response.ts), then the room is
// ours. Each candidate server is tried in turn.
import { askPageAhead, backfillRoom } from './inbound/backfill.ts';
import type { JsonObject, RoomEvent, RoomVersion } from '../protocol.ts';
import type { RemoteJoinRequest } from '../rooms/api.ts';
import {
  createJoinedRoom,
  eventRowOf,
  joinedRoomIds,
  joinedServers,
  roomTableNames,
  roomWriteTables,
} from '../rooms/federation-api.ts';
import { forbidden } from '../errors.ts';
import { receivePdus } from './inbound/receive-pdus.ts';
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
  let restricted = false;
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
      restricted ||= cannotVouch(err) || err instanceof AuthoriserFailed;
      errors.push(err instanceof AuthoriserFailed ? err.cause : err);
    }
    if (i === servers.length - 1 && !widened && restricted) {
      // A restricted room whose residents asked so far are not in its allowed
      // rooms, have no one who may invite, or vouched and then failed to
      // co-sign: ask the peers of the rooms the user is in, where the allowed
      // room (a space) usually is.
      widened = true;
      for (const peer of await peersOfUsersRooms(fed, request.userId))
        if (!servers.includes(peer)) servers.push(peer);
    }
  }
  throw joinFailure(`Joining ${request.roomId}`, errors, servers);
}

/** The resident that vouched for a restricted join (make_join) failed at send_join: another may co-sign. */
class AuthoriserFailed extends Error {
  override readonly cause: unknown;
  constructor(cause: unknown) {
    super(`the authorising server failed: ${String(cause)}`);
    this.cause = cause;
  }
}

/** make_join on `server`, our join signed from its template, and send_join's answer. */
async function sendJoinThrough(fed: FederationContext, server: string, request: RemoteJoinRequest) {
  const content = await memberContentFor(fed, 'join', request);
  const { event: join, version } = await memberEventThrough(fed, server, 'join', request, content);
  const { event_id: _id, ...pdu } = join;
  try {
    const answer = await fed.client.put(
      server,
      V2 + fedPath`/send_join/${request.roomId}/${join.event_id}`,
      pdu as unknown as JsonObject,
      SEND_JOIN_TIMEOUT_MS,
    );
    return { join: await vouched(fed, join, answer, version), answer, version };
  } catch (err) {
    if (join.content.join_authorised_via_users_server === undefined) throw err;
    throw new AuthoriserFailed(err);
  }
}

async function joinThrough(
  fed: FederationContext,
  server: string,
  request: RemoteJoinRequest,
): Promise<void> {
  const { roomId, userId } = request;
  const { join, answer, version } = await sendJoinThrough(fed, server, request);
  // The first page of the room's past, asked now: its request waits for
  // nothing the checks and the write below give (the join's prev events are
  // the edge of the history the room will hold), and crossing the network
  // beside them it is there when the backfill after the join asks for it.
  const ahead = askPageAhead(fed, server, roomId, join.prev_events);
  const joined = await checkJoinResponse(fed, answer, version, join);
  const outcome = await fed.rooms.exclusive(roomId, () =>
    fed.store.write(roomWriteTables, (tx) => createJoinedRoom(tx, joined)),
  );
  fed.notifier.notify({ rooms: [roomId], users: [userId, ...outcome.members] });
  // The room's past, a first page of it, while the user looks at the room
  // (/messages asks for more as they scroll: inbound/backfill.ts).
  backfillRoom(fed, roomId, fed.backfillLimits.pageSize, ahead).catch((err) =>
    fed.logger.info('backfill after a join failed', { roomId, error: String(err) }),
  );
}

/**
 * A restricted room held here whose join this server cannot authorise (no
 * member here may invite, or we are in none of the allowed rooms): a
 * resident of another server that is in an allowed room vouches instead
 * (spec: "Restricted rooms"), each of `request.servers` asked in turn, as for
 * a room held elsewhere; the join it co-signed is then placed here as any
 * PDU from that server (it forwards the join to the room's other servers).
 */
export async function authorisedJoin(fed: FederationContext, request: RemoteJoinRequest): Promise<void> {
  const servers = [...new Set(request.servers)].filter((s) => s !== fed.serverName);
  const errors: unknown[] = [];
  for (const server of servers) {
    let sent: Awaited<ReturnType<typeof sendJoinThrough>>;
    try {
      sent = await sendJoinThrough(fed, server, request);
    } catch (err) {
      fed.logger.info('a resident could not vouch for a join', {
        server,
        roomId: request.roomId,
        error: String(err),
      });
      errors.push(err instanceof AuthoriserFailed ? err.cause : err);
      continue;
    }
    const results = await receivePdus(fed, server, sent.version, [sent.join]);
    const error = results.get(sent.join.event_id);
    if (error !== undefined) throw forbidden(`The join was refused here: ${error}`);
    const row = await fed.store.read(roomTableNames, (tx) => eventRowOf(tx, sent.join.event_id));
    if (row?.soft_failed) throw forbidden('The current state of the room does not allow this join');
    return;
  }
  throw joinFailure(`Joining ${request.roomId}`, errors, servers);
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
