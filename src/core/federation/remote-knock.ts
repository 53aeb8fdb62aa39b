// A local user knocking on a room held by other servers (spec: server-server
// API "Knocking on rooms"): make_knock on a resident server, sign the knock,
// send_knock; the knock is then kept here as the user's membership with the
// stripped state the resident answered, as an invite from another server is,
// until an invite, a join or a leave replaces it.
import type { JsonObject } from '../protocol.ts';
import type { RemoteJoinRequest } from '../rooms/api.ts';
import { boundedStrippedState, roomWriteTables, storeRemoteMembership } from '../rooms/federation-api.ts';
import type { FederationContext } from './context.ts';
import { fedPath } from './federation-client.ts';
import { V1, joinFailure, memberContentFor, memberEventThrough } from './member-events.ts';

/** Knocks as `request.userId` on a room held elsewhere, trying each server in turn. */
export async function remoteKnock(fed: FederationContext, request: RemoteJoinRequest): Promise<void> {
  const servers = [...new Set(request.servers)].filter((s) => s !== fed.serverName);
  const errors: unknown[] = [];
  for (const server of servers) {
    try {
      await knockThrough(fed, server, request);
      return;
    } catch (err) {
      fed.logger.info('could not knock through a server', {
        server,
        roomId: request.roomId,
        error: String(err),
      });
      errors.push(err);
    }
  }
  throw joinFailure(`Knocking on ${request.roomId}`, errors, servers);
}

async function knockThrough(fed: FederationContext, server: string, request: RemoteJoinRequest) {
  const content = await memberContentFor(fed, 'knock', request);
  const { event: knock } = await memberEventThrough(fed, server, 'knock', request, content);
  const { event_id: _id, ...pdu } = knock;
  const answer = await fed.client.put(
    server,
    V1 + fedPath`/send_knock/${request.roomId}/${knock.event_id}`,
    pdu as unknown as JsonObject,
  );
  const shown = boundedStrippedState(answer.knock_room_state);
  await fed.store.write(roomWriteTables, (tx) => storeRemoteMembership(tx, knock, shown));
  fed.notifier.notify({ users: [request.userId] });
}
