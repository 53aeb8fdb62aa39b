// Which rooms a sync covers and how (steps 2 and 3 of build-sync.ts): the
// user's membership changes after `since` sort rooms into newly joined (full
// state), invited, left and knocked; the other joined rooms are incremental.
import * as rooms from '../rooms/api.ts';
import { stateKeyOf } from '../protocol/types.ts';
import type { ReadTx } from '../storage/port.ts';
import type { SyncRequest } from './build-sync.ts';
import type { RoomFilter } from '../events/filter.ts';
import { roomAllowed } from '../events/filter-match.ts';

export interface RoomPlan {
  /** Joined rooms with all state: roomId → range start. */
  readonly full: Map<string, number>;
  /** Joined before since: incremental if anything is new. */
  readonly incremental: string[];
  /** Left or banned: roomId → stream of the leave. */
  readonly left: Map<string, number>;
  readonly invited: string[];
  readonly knocked: string[];
  readonly joined: Set<string>;
}

/**
 * Whether the user was already joined at `since` and stayed joined (a join
 * after a join is a profile change, not a newly joined room). One who left
 * and joined again since is newly joined: the state that changed while they
 * were away, hidden from their timeline by history visibility, reaches them
 * only as a newly joined room's full state.
 */
async function wasJoined(
  tx: ReadTx,
  roomId: string,
  userId: string,
  since: number,
  currentEventId: string,
): Promise<boolean> {
  const state = await rooms.stateIdsAtStream(tx, roomId, since);
  const eventId = state.get(stateKeyOf('m.room.member', userId));
  if (eventId === undefined) return false;
  const [event] = await rooms.eventsByIds(tx, [eventId], 0);
  return event?.content.membership === 'join' && rooms.joinedThroughout(tx, currentEventId, since);
}

/**
 * The joined rooms the filter's rooms/not_rooms let in: a sync's incremental
 * rooms when no membership changed since (step 3; sync-view.ts nextBase plans
 * the next sync with it). `joined` itself when the filter names no rooms.
 */
export function incrementalRooms(
  joined: ReadonlySet<string>,
  roomFilter: RoomFilter | undefined,
): ReadonlySet<string> {
  if (roomFilter?.rooms === undefined && roomFilter?.not_rooms === undefined) return joined;
  return new Set([...joined].filter((roomId) => roomAllowed(roomFilter, roomId)));
}

/** Sorts the user's rooms for a sync from `since` (undefined: an initial sync). */
export async function planRooms(
  tx: ReadTx,
  request: SyncRequest,
  since: number | undefined,
): Promise<RoomPlan> {
  const roomFilter = request.filter.room;
  const [changes, joinedNow] = await Promise.all([
    rooms.userRoomsSince(tx, request.userId, since ?? 0),
    rooms.joinedRoomIds(tx, request.userId),
  ]);
  const plan: RoomPlan = {
    full: new Map(),
    incremental: [],
    left: new Map(),
    invited: [],
    knocked: [],
    joined: new Set(joinedNow),
  };
  const changed = new Set<string>();
  // Step 2 of build-sync.ts.
  for (const change of changes) {
    if (!roomAllowed(roomFilter, change.roomId)) continue;
    if (
      change.membership === 'join' &&
      since !== undefined &&
      (await wasJoined(tx, change.roomId, request.userId, since, change.eventId))
    )
      continue;
    changed.add(change.roomId);
    // A newly joined room is synced as in an initial sync: the latest events, all state.
    if (change.membership === 'join') plan.full.set(change.roomId, rooms.TIMELINE_START);
    else if (change.membership === 'invite') plan.invited.push(change.roomId);
    else if (change.membership === 'knock') plan.knocked.push(change.roomId);
    else if (since !== undefined || roomFilter?.include_leave) plan.left.set(change.roomId, change.stream);
  }
  // Step 3.
  for (const roomId of incrementalRooms(plan.joined, roomFilter)) {
    if (changed.has(roomId)) continue;
    if (request.fullState) plan.full.set(roomId, since ?? rooms.TIMELINE_START);
    else plan.incremental.push(roomId);
  }
  return plan;
}
