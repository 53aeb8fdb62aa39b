// GET /_matrix/client/v3/rooms/{roomId}/initialSync (spec: deprecated, but
// Element still calls it for a room it has not synced, e.g. on a reload
// while the room is open): one room as an initial sync would show it, in
// the older shape: the latest messages, the current state (for a user who
// left: the state at the leave), the user's room account data and the
// presence of the room's members.
import { requireRoomId } from '../http/matrix-ids.ts';
import type { HandlerResult, RequestContext } from '../http/route.ts';
import * as rooms from '../rooms/api.ts';
import { currentStreamPosition } from '../storage/stream.ts';
import type { SyncHandlerDeps } from './sync-handler.ts';

/** How many of the latest messages are returned (the endpoint takes no limit; Synapse's page size). */
const MESSAGES = 20;

export async function roomInitialSync(deps: SyncHandlerDeps, ctx: RequestContext): Promise<HandlerResult> {
  const userId = ctx.caller!.userId;
  const roomId = requireRoomId(ctx.params.roomId ?? '');
  const now = deps.clock.now();
  const body = await deps.store.read(deps.tables, async (tx) => {
    // 403/404 as /messages answers them.
    const bound = await rooms.readableUpTo(tx, roomId, userId);
    const upTo = Math.min(bound, await currentStreamPosition(tx));
    const [membership, slice, state, accountData, presence, members] = await Promise.all([
      rooms.membershipOf(tx, roomId, userId),
      rooms.timelineSlice(tx, roomId, {
        toStream: upTo,
        limit: MESSAGES,
        backwards: true,
        now,
        viewer: { userId, deviceId: ctx.caller!.deviceId },
      }),
      rooms.stateAtStream(tx, roomId, upTo, now),
      deps.accounts.accountDataSince(tx, userId, 0),
      deps.accounts.presenceSince(tx, userId, 0),
      rooms.joinedMembers(tx, roomId),
    ]);
    const first = slice.events[0];
    const joined = new Set(members);
    return {
      room_id: roomId,
      ...(membership !== undefined && { membership }),
      messages: {
        chunk: slice.events.map((e) => e.event),
        start: rooms.makePaginationToken(first ? first.stream - 1 : upTo),
        end: rooms.makePaginationToken(upTo),
      },
      state,
      account_data: accountData.rooms.get(roomId) ?? [],
      presence: presence.filter((p) => p.sender !== undefined && joined.has(p.sender)),
    };
  });
  return { body };
}
