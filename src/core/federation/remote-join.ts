// A local user joining a room held by other servers (spec: server-server API
// "Joining Rooms"): make_join on a resident server, sign the join, send_join,
// check everything the server answers (join-response.ts), then the room is
// ours. Each candidate server is tried in turn.
import type { JsonObject } from '../protocol.ts';
import type { RemoteJoinRequest } from '../rooms/api.ts';
import { createJoinedRoom, roomWriteTables } from '../rooms/federation-api.ts';
import type { FederationContext } from './context.ts';
import { fedPath } from './federation-client.ts';
import { checkJoinResponse } from './join-response.ts';
import { V2, joinFailure, memberContentFor, memberEventThrough } from './member-events.ts';

/** A join answer carries the whole room state: allow it more time than a small request. */
const SEND_JOIN_TIMEOUT_MS = 60_000;

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
  const content = await memberContentFor(fed, 'join', request);
  const { event: join, version } = await memberEventThrough(fed, server, 'join', request, content);
  const { event_id: _id, ...pdu } = join;
  const answer = await fed.client.put(
    server,
    V2 + fedPath`/send_join/${roomId}/${join.event_id}`,
    pdu as unknown as JsonObject,
    SEND_JOIN_TIMEOUT_MS,
  );
  const joined = await checkJoinResponse(fed, answer, version, join);
  const outcome = await fed.rooms.exclusive(roomId, () =>
    fed.store.write(roomWriteTables, (tx) => createJoinedRoom(tx, joined)),
  );
  fed.notifier.notify({ rooms: [roomId], users: [userId, ...outcome.members] });
}
