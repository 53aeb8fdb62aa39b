// What room federation may read and write in the rooms module: the DAG and
// state groups to check and serve events from peers, and the writes that
// place them (persist-remote.ts). Reads take a transaction opened over
// `roomTableNames`; writes one over `roomWriteTables`.
import { type RoomVersion, roomVersion } from '../protocol.ts';
import type { ReadTx } from '../storage/port.ts';
import { STREAM_TABLE } from '../storage/stream.ts';
import type { MemberProfile } from './deps.ts';
import { readExtremities } from './extremities.ts';
import type { RoomsContext } from './rooms-context.ts';
import { type StateIds, loadStateGroup, stateEntryIn } from './state-groups.ts';
import {
  type EventRow,
  eventsTable,
  type MemberRow,
  membersTable,
  roomsTable,
  roomTableNames,
} from './tables.ts';

export type { EventRow, MemberRow } from './tables.ts';
export type { StateIds } from './state-groups.ts';
export type { StrippedStateEvent } from './client-event.ts';
export {
  persistRemoteEvent,
  txEventProvider,
  type RemoteOutcome,
  type RemotePlacement,
} from './persist-remote.ts';
export { EventHeldAfterAll, RemoteBatch } from './remote-batch.ts';
export {
  createJoinedRoom,
  storeOutlier,
  storeRemoteMembership,
  storeRemoteLeave,
  type JoinedRoomState,
} from './remote-rooms.ts';
export { type BackfillPlacement, historyEdge, persistBackfilledEvent } from './persist-backfill.ts';
export { writeSnapshot } from './state-groups.ts';
export { closestEvent } from './timestamp-route.ts';
export { authStateFor } from './persist-event.ts';
export { currentStateEvent, currentStateIds, strippedState } from './state-read.ts';
export { pendingInvites } from './members-read.ts';
export { boundedStrippedState, MAX_STRIPPED_STATE_BYTES } from './stripped-state.ts';
export { heldWithPlace, mayBePlacedLater, roomTableNames } from './tables.ts';
export { joinAuthoriser } from './restricted-join.ts';
export { type HierarchyRoom, localHierarchyRoom, openRoom } from './hierarchy.ts';
export { joinedRoomIds, roomMembers } from './members-read.ts';
export { ServerVisibilityChecker } from './visibility.ts';

/** Tables a write transaction placing remote events opens. */
export const roomWriteTables: readonly string[] = [...roomTableNames, STREAM_TABLE];

/** The version of a room held here; undefined for rooms we do not hold. */
export async function heldRoomVersion(tx: ReadTx, roomId: string): Promise<RoomVersion | undefined> {
  const room = await roomsTable.get(tx, roomId);
  return room ? roomVersion(room.version) : undefined;
}

/** Ids of every room held here. */
export async function heldRoomIds(tx: ReadTx): Promise<string[]> {
  return (await roomsTable.query(tx)).map((r) => r.room_id);
}

export function eventRowOf(tx: ReadTx, eventId: string): Promise<EventRow | undefined> {
  return eventsTable.get(tx, eventId);
}

/** Whether the event is held (in any form), without reading its row. */
export async function eventHeld(tx: ReadTx, eventId: string): Promise<boolean> {
  return (await eventsTable.count(tx, { equals: eventId })) > 0;
}

/** The room's current state group (the resolved state of its forward extremities). */
export async function currentStateGroup(tx: ReadTx, roomId: string): Promise<number | undefined> {
  return (await roomsTable.get(tx, roomId))?.state_group;
}

export function stateOfGroup(tx: ReadTx, group: number): Promise<StateIds> {
  return loadStateGroup(tx, group);
}

export function stateEntryOfGroup(
  tx: ReadTx,
  group: number,
  type: string,
  stateKey: string,
): Promise<string | undefined> {
  return stateEntryIn(tx, group, type, stateKey);
}

/** The forward extremities of a room. */
export async function extremityIds(tx: ReadTx, roomId: string): Promise<string[]> {
  return [...(await readExtremities(tx, roomId)).ids];
}

/** Servers with a user joined to the room now. */
export async function joinedServers(tx: ReadTx, roomId: string): Promise<Set<string>> {
  const rows = await membersTable.query(tx, { index: 'room_membership', equals: [roomId, 'join'] });
  return new Set(rows.map((r) => r.user_id.slice(r.user_id.indexOf(':') + 1)));
}

/**
 * Whether `userId` is joined to a room that a user of `serverName` is joined
 * to too: whom our users have a reason to hear about (presence admission).
 */
export async function sharesRoomWithServer(tx: ReadTx, userId: string, serverName: string): Promise<boolean> {
  const rows = await membersTable.query(tx, {
    index: 'user_stream',
    range: { lower: [userId, -1], upper: [userId, Number.MAX_SAFE_INTEGER] },
  });
  for (const row of rows)
    if (row.membership === 'join' && (await joinedServers(tx, row.room_id)).has(serverName)) return true;
  return false;
}

export function memberOf(tx: ReadTx, roomId: string, userId: string): Promise<MemberRow | undefined> {
  return membersTable.get(tx, [roomId, userId]);
}

/** What room federation uses of the rooms module beyond the tables. */
export interface RoomFederationPort {
  /** Runs fn while no local event of the room is being written (the writer's room lock). */
  exclusive<T>(roomId: string, fn: () => Promise<T>): Promise<T>;
  /** A local user's profile, for the content of their join over federation. */
  profileOf(userId: string): Promise<MemberProfile | undefined>;
  /** Whether a local user exists (invites from peers to unknown users are refused). */
  userExists(userId: string): Promise<boolean>;
}

/** The port over the rooms module's context (rooms.ts makes it). */
export function roomFederationPort({ deps, writer }: RoomsContext): RoomFederationPort {
  return {
    exclusive: (roomId, fn) => writer.exclusive(roomId, fn),
    profileOf: (userId) => deps.accounts.profileOf(userId),
    userExists: (userId) => deps.accounts.userExists(userId),
  };
}
