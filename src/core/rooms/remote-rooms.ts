// Rooms as federation first meets them, written inside the caller's write
// transaction: events held without their place in the DAG (outliers), a room
// joined over federation (send_join's state), and invites to rooms held
// elsewhere with the user's answer to them.
import type { RoomEvent, RoomVersion, StateKey } from '../protocol.ts';
import type { WriteTx } from '../storage/port.ts';
import { nextStreamPosition } from '../storage/stream.ts';
import type { StrippedStateEvent } from './client-event.ts';
import { eventRow, updateMembership } from './persist-event.ts';
import { type RemoteOutcome, persistRemoteEvent } from './persist-remote.ts';
import { writeSnapshot } from './state-groups.ts';
import {
  type EventRow,
  eventsTable,
  type InviteStateRow,
  inviteStateTable,
  type RoomRow,
  roomsTable,
  startingWith,
} from './tables.ts';

export interface OutlierOptions {
  /** Why the event was rejected (its own auth events deny it). */
  readonly rejected?: string;
  /** The state group to file it under (default: the room's current state). */
  readonly group?: number;
}

/**
 * Stores an event without its place in the DAG (auth chains, state from
 * send_join or state_ids): no stream position, state groups of the room's
 * current state. An event already held is left as it is.
 */
export async function storeOutlier(
  tx: WriteTx,
  event: RoomEvent,
  options: OutlierOptions = {},
): Promise<void> {
  if (await eventsTable.get(tx, event.event_id)) return;
  const room = (await roomsTable.get(tx, event.room_id)) ?? unheldRoom(event);
  await eventsTable.put(tx, outlierRow(event, room, options));
}

/** An outlier's row: in `room`, filed under its state group or `options.group`. */
function outlierRow(event: RoomEvent, room: RoomRow, options: OutlierOptions): EventRow {
  const row = eventRow(event, options.group === undefined ? room : { ...room, state_group: options.group });
  row.outlier = true;
  if (options.rejected !== undefined) row.rejected = options.rejected;
  return row;
}

/** Rows of events of rooms we do not hold point at no state group. */
function unheldRoom(event: RoomEvent): RoomRow {
  return { room_id: event.room_id, version: '', creator: '', created_ts: 0, state_group: -1 };
}

/** Every event of the room, outliers too, by the `room_ts` index (a PDU's `ts` is a safe integer: event-format.ts `timestampLike`). */
function anyTimeIn(roomId: string) {
  return {
    index: 'room_ts',
    range: { lower: [roomId, -Number.MAX_SAFE_INTEGER], upper: [roomId, Number.MAX_SAFE_INTEGER] },
  } as const;
}

/** What send_join answered, checked: the state before our join and every event it needs. */
export interface JoinedRoomState {
  readonly version: RoomVersion;
  readonly create: RoomEvent;
  /** The state before the join event. */
  readonly state: ReadonlyMap<StateKey, string>;
  /** The state events and their auth chains. */
  readonly events: readonly RoomEvent[];
  readonly join: RoomEvent;
}

/**
 * Makes a room joined over federation ours: the room row, the events of the
 * state and auth chain as outliers, then the join event on that state (which
 * fills current state and memberships). Invite state shown before is dropped.
 */
export async function createJoinedRoom(tx: WriteTx, joined: JoinedRoomState): Promise<RemoteOutcome> {
  const { create, join, version } = joined;
  const roomId = join.room_id;
  if (await roomsTable.get(tx, roomId)) throw new Error(`room ${roomId} is already held here`);
  // Current state starts empty, so placing the join fills all of it (and the memberships).
  const empty = await writeSnapshot(tx, roomId, new Map());
  const room: RoomRow = {
    room_id: roomId,
    version: version.id,
    creator: create.sender,
    created_ts: create.origin_server_ts,
    state_group: empty,
    referenced: true,
  };
  await roomsTable.put(tx, room);
  const before = await writeSnapshot(tx, roomId, new Map(joined.state));
  // Thousands of events in a big room: asked and written all at once (in
  // IndexedDB, one by one is a round trip each; the rows go in one bulk put),
  // none of them depending on another. A room new here (the usual join; at
  // most an invite of it is held) holds none of them, which one count of its
  // events tells: every event of the answer is of this room (step 1,
  // join-response.ts), and from room version 3 on an event's id is its
  // hash, so no event of another room has it. Version 1 and 2 ids are
  // chosen by their server; step 1 refuses those versions' events, so the
  // test is a guard should they ever be read.
  const asked = version.eventIdFormat === 'v1' || (await eventsTable.count(tx, anyTimeIn(roomId))) > 0;
  const held = asked
    ? await Promise.all(joined.events.map((e) => eventsTable.count(tx, { equals: e.event_id })))
    : undefined;
  const fresh = held ? joined.events.filter((_, i) => held[i] === 0) : joined.events;
  await eventsTable.putAll(
    tx,
    fresh.map((event) => outlierRow(event, room, { group: before })),
  );
  await inviteStateTable.deleteWhere(tx, startingWith(roomId));
  return persistRemoteEvent(tx, join, version, { sgBefore: before });
}

/**
 * An invite from another server to a room we do not hold (or hold without a
 * joined member, so the room's own traffic will not bring it), or our user's
 * knock accepted by a resident server: the member event, the user's
 * membership and the stripped state to show.
 */
export async function storeRemoteMembership(
  tx: WriteTx,
  invite: RoomEvent,
  strippedState: readonly StrippedStateEvent[],
): Promise<number> {
  await storeOutlier(tx, invite);
  const userId = invite.state_key!;
  const stream = await nextStreamPosition(tx);
  await updateMembership(tx, invite, stream);
  const row: InviteStateRow = { room_id: invite.room_id, user_id: userId, events: [...strippedState] };
  await inviteStateTable.put(tx, row);
  return stream;
}

/** Our user's leave (a rejected invite) of a room we do not hold. */
export async function storeRemoteLeave(tx: WriteTx, leave: RoomEvent): Promise<number> {
  await storeOutlier(tx, leave);
  const stream = await nextStreamPosition(tx);
  await updateMembership(tx, leave, stream);
  await inviteStateTable.delete(tx, [leave.room_id, leave.state_key!]);
  return stream;
}
