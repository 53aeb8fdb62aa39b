// A local user rejecting an invite to, or withdrawing a knock on, a room held
// elsewhere (spec: server-server API "Leaving Rooms"): make_leave/send_leave
// through the inviting server, the servers whose events the stripped state
// showed (a knock's own sender is us), or the room's creator's.
import { notFound } from '../errors.ts';
import {
  DEFAULT_ROOM_VERSION,
  type JsonObject,
  type RoomEvent,
  nextDepth,
  roomVersion,
} from '../protocol.ts';
import type { RemoteLeaveRequest } from '../rooms/api.ts';
import {
  eventRowOf,
  memberOf,
  roomTableNames,
  roomWriteTables,
  storeRemoteLeave,
  strippedState,
} from '../rooms/federation-api.ts';
import type { FederationContext } from './context.ts';
import { fedPath } from './federation-client.ts';
import { V2, memberEventThrough, serverOf, signMemberEvent } from './member-events.ts';

/**
 * Rejects an invite to a room held elsewhere: make_leave/send_leave through
 * the inviting server (or the room's creator's). When none answers, the
 * invite is rejected here only, as Synapse does, so it does not stay forever.
 */
export async function remoteLeave(fed: FederationContext, request: RemoteLeaveRequest): Promise<void> {
  const { roomId, userId } = request;
  const { invite, shown } = await fed.store.read(roomTableNames, async (tx) => {
    const member = await memberOf(tx, roomId, userId);
    return {
      invite: member && (await eventRowOf(tx, member.event_id)),
      shown: await strippedState(tx, roomId, userId),
    };
  });
  if (!invite || (invite.pdu.content.membership !== 'invite' && invite.pdu.content.membership !== 'knock')) {
    throw notFound(`${userId} has no invite to ${roomId}`);
  }
  const content: JsonObject = { membership: 'leave' };
  if (request.reason !== undefined) content.reason = request.reason;
  const residents = shown.map((e) => serverOf(e.sender));
  const servers = [...new Set([serverOf(invite.sender), ...residents, serverOf(roomId)])].filter(
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
  const { roomId } = request;
  const { event: leave } = await memberEventThrough(fed, server, 'leave', request, content);
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
    depth: nextDepth([invite.depth]),
  };
  return signMemberEvent(fed, unsigned, version);
}
