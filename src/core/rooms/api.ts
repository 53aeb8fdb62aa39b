// What other modules (sync first) may read from the rooms module. Every read
// here takes a transaction opened over `roomTableNames` (plus whatever the
// caller needs), so a sync response is one consistent read; changeMembership
// is the one write (accounts' profile changes and deactivation).
//
// Pagination tokens: `t<N>` is the boundary between timeline events with
// stream position <= N and those after. /messages dir=b from `t<N>` returns
// events <= N newest first; dir=f returns events > N oldest first. Sync's
// prev_batch for a timeline whose first event is at stream S is `t<S-1>`
// (makePaginationToken(S - 1)). Sync tokens of the form `<letter><N>[_...]`
// are accepted as `from` too, read as the boundary after N.
import type { ReadTx } from '../storage/port.ts';
import type { StateKey } from '../protocol/types.ts';
import { aliasesTable, type Membership } from './tables.ts';
import * as members from './members-read.ts';
import * as state from './state-read.ts';
import * as timeline from './timeline-read.ts';
import * as client from './client-event.ts';
import { visibleEvents } from './visibility.ts';
import { threadOf } from './threads.ts';
import { eventsTable } from './tables.ts';
import { historyBound } from './history-access.ts';

export {
  roomExtremitySetTables,
  roomRedactionTables,
  roomReferencedTables,
  roomReportTables,
  roomRowCacheSizes,
  roomSearchTables,
  roomSearchRowTables,
  roomSearchTermTables,
  roomTableNames,
  roomTables,
} from './tables.ts';
export type { Report, ReportsView } from './reports.ts';
export type {
  AccountsForRooms,
  FederationForRooms,
  LocalEventHooks,
  MemberProfile,
  RemoteDirectory,
  RemoteJoinRequest,
  RemoteLeaveRequest,
  ResolvedAlias,
  RoomDeps,
} from './deps.ts';
export { createRooms, type Rooms } from './rooms.ts';
export { reindexSearch } from './search-reindex.ts';
/** Pagination tokens (see the header); parsing yields undefined for strings that are not one. */
export {
  TIMELINE_START,
  makePaginationToken,
  parseStreamToken as parsePaginationToken,
} from './pagination-token.ts';
export type { EventRow, Membership, RoomRow } from './tables.ts';
export { EVENTS as EVENTS_TABLE, ROOMS as ROOMS_TABLE } from './tables.ts';
export { toClientEvent } from './client-event.ts';
export { COMMITTED_VIEW_LOG, COMMITTED_VIEW_TABLES, plainTimelineRow } from './committed-view.ts';
export type { ClientEvent, StrippedStateEvent, Viewer } from './client-event.ts';
export type { TimelineEntry, TimelineSlice, TimelineSliceOptions } from './timeline-read.ts';
export type { MembershipChange, RoomSummary } from './members-read.ts';
export type { MembershipRequest } from './membership.ts';
export type { SendResult } from './room-writer.ts';
export { type RoomAccountHooks, roomAccountHooks } from './account-hooks.ts';
export type { PublicRoomsChunk, PublicRoomsPage, PublicRoomsQuery } from './public-rooms.ts';
export {
  localPublicRooms,
  pagePublicRooms,
  parsePublicRoomsSince,
  publicRoomMatches,
  publicRoomsQueryFromBody,
  sortPublicRooms,
} from './public-rooms.ts';

/**
 * The user's memberships whose member event has a stream position > since
 * (since = 0: every room the user has a membership in, including leave/ban).
 * Forgotten rooms are left out. Ordered by stream position.
 */
export function userRoomsSince(
  tx: ReadTx,
  userId: string,
  since: number,
): Promise<members.MembershipChange[]> {
  return members.userRoomsSince(tx, userId, since);
}

/** Ids of the rooms the user is joined to now. */
export function joinedRoomIds(tx: ReadTx, userId: string): Promise<string[]> {
  return members.joinedRoomIds(tx, userId);
}

/** The user's current membership of a room, if any. */
export function membershipOf(tx: ReadTx, roomId: string, userId: string): Promise<Membership | undefined> {
  return members.membershipOf(tx, roomId, userId);
}

/** Ids of rooms that got a timeline event with stream position in (since, upTo]. */
export function roomsWithEventsSince(tx: ReadTx, since: number, upTo?: number): Promise<Set<string>> {
  return timeline.roomsWithEventsSince(tx, since, upTo);
}

/**
 * Timeline events of a room in the stream range (fromStream, toStream],
 * `limit` of them: the newest when `backwards`, else the oldest. Returned
 * oldest first either way, in client format for `viewer` (unsigned.age,
 * transaction_id for the sending device, redacted_because), filtered by
 * `filter` and, when `viewer` is given, by history visibility. `limited`
 * says more matching events lie in the range beyond the returned ones.
 */
export function timelineSlice(
  tx: ReadTx,
  roomId: string,
  options: timeline.TimelineSliceOptions,
): Promise<timeline.TimelineSlice> {
  return timeline.timelineSlice(tx, roomId, options);
}

/** Current state of a room as (type, state_key) → event id. */
export function currentStateIds(tx: ReadTx, roomId: string): Promise<Map<StateKey, string>> {
  return state.currentStateIds(tx, roomId);
}

/**
 * The room state after the last timeline event with stream position <= stream,
 * as (type, state_key) → event id; before the first timeline event, the state
 * it started from (empty for a room created here, the joined state for a room
 * joined over federation).
 */
export function stateIdsAtStream(tx: ReadTx, roomId: string, stream: number): Promise<Map<StateKey, string>> {
  return state.stateIdsAtStream(tx, roomId, stream);
}

/** Current state events of a room in client format. */
export async function currentState(tx: ReadTx, roomId: string, now: number): Promise<client.ClientEvent[]> {
  return eventsByIds(tx, [...(await currentStateIds(tx, roomId)).values()], now);
}

/** State events at a stream position (see stateIdsAtStream) in client format. */
export async function stateAtStream(
  tx: ReadTx,
  roomId: string,
  stream: number,
  now: number,
): Promise<client.ClientEvent[]> {
  return eventsByIds(tx, [...(await stateIdsAtStream(tx, roomId, stream)).values()], now);
}

/** Events by id in client format (unknown ids are skipped), in the order given. */
export function eventsByIds(
  tx: ReadTx,
  eventIds: readonly string[],
  now: number,
  viewer?: client.Viewer,
): Promise<client.ClientEvent[]> {
  return client.clientEventsByIds(tx, eventIds, now, viewer);
}

/** The thread an event of the timeline is in: its root's id, or `main` (undefined for unknown events). */
export async function eventThread(tx: ReadTx, eventId: string): Promise<string | undefined> {
  const row = await eventsTable.get(tx, eventId);
  return row && threadOf(row);
}

/** Whether the user stayed joined since `since`. */
export { joinedThroughout } from './members-read.ts';

export { MAIN_THREAD, threadOfContent } from './threads.ts';

/** The timeline stream position of an event (undefined for unknown events and outliers). */
export function eventStream(tx: ReadTx, eventId: string): Promise<number | undefined> {
  return timeline.eventStream(tx, eventId);
}

/**
 * Stripped state for an invite or knock (spec: "Stripped state"): create,
 * join rules, name, avatar, canonical alias, topic, encryption, and the
 * member event of `userId` when given (with its sender's, the inviter's).
 */
export function strippedState(
  tx: ReadTx,
  roomId: string,
  userId?: string,
): Promise<client.StrippedStateEvent[]> {
  return state.strippedState(tx, roomId, userId);
}

/** Room summary for sync (spec: RoomSummary): up to 5 heroes other than userId, joined and invited counts. */
export function roomSummary(tx: ReadTx, roomId: string, userId: string): Promise<members.RoomSummary> {
  return members.roomSummary(tx, roomId, userId);
}

/**
 * Keeps the ids of the events `userId` may see under the room's history
 * visibility (spec: "History visibility"), in the given order; unknown ids
 * and events of other rooms are dropped.
 */
export function visibleToUser(
  tx: ReadTx,
  roomId: string,
  userId: string,
  eventIds: readonly string[],
): Promise<string[]> {
  return visibleEvents(tx, roomId, userId, eventIds);
}

/** Rooms the user has forgotten (sync leaves them out of rooms.leave). */
export function forgottenRoomIds(tx: ReadTx, userId: string): Promise<Set<string>> {
  return members.forgottenRoomIds(tx, userId);
}

/**
 * Members of a room whose membership changed at a stream position in
 * (since, upTo], with whether they are joined now.
 */
export function memberChangesBetween(
  tx: ReadTx,
  roomId: string,
  since: number,
  upTo: number,
): Promise<{ userId: string; joined: boolean }[]> {
  return members.memberChangesBetween(tx, roomId, since, upTo);
}

/** Ids of the users joined to a room now, in the order they joined. */
export async function joinedMembers(tx: ReadTx, roomId: string): Promise<string[]> {
  return (await members.roomMembers(tx, roomId, 'join')).map((row) => row.user_id);
}

/** The room a local alias names, if any (open the transaction over roomTableNames). */
export async function roomIdForAlias(tx: ReadTx, alias: string): Promise<string | undefined> {
  return (await aliasesTable.get(tx, alias))?.room_id;
}

/**
 * The highest stream position the user may read the room's history up to
 * (Infinity: no bound; a user who left stops at the leave); 404 for rooms
 * not held here, 403 for users without a membership of a room that is not
 * world-readable.
 */
export function readableUpTo(tx: ReadTx, roomId: string, userId: string): Promise<number> {
  return historyBound(tx, roomId, userId);
}
