// Reading memberships: per user (sync, joined_rooms) and per room (members,
// summaries). The room_members table mirrors the member events of each room's
// current state.
import type { ReadTx } from '../storage/port.ts';
import {
  eventsTable,
  forgottenTable,
  type MemberRow,
  type Membership,
  membersTable,
  startingWith,
} from './tables.ts';

const MAX_STREAM = Number.MAX_SAFE_INTEGER;

export interface MembershipChange {
  readonly roomId: string;
  readonly membership: Membership;
  readonly eventId: string;
  readonly stream: number;
  readonly sender: string;
}

/** Spec: RoomSummary in /sync. */
export interface RoomSummary {
  'm.heroes': string[];
  'm.joined_member_count': number;
  'm.invited_member_count': number;
}

async function userRows(tx: ReadTx, userId: string, since: number): Promise<MemberRow[]> {
  return membersTable.query(tx, {
    index: 'user_stream',
    range: { lower: [userId, since], lowerOpen: true, upper: [userId, MAX_STREAM] },
  });
}

export async function forgottenRoomIds(tx: ReadTx, userId: string): Promise<Set<string>> {
  const rows = await forgottenTable.query(tx, { index: 'user', equals: userId });
  return new Set(rows.map((r) => r.room_id));
}

export async function userRoomsSince(tx: ReadTx, userId: string, since: number): Promise<MembershipChange[]> {
  const forgotten = await forgottenRoomIds(tx, userId);
  return (await userRows(tx, userId, since))
    .filter((r) => !forgotten.has(r.room_id))
    .map((r) => ({
      roomId: r.room_id,
      membership: r.membership,
      eventId: r.event_id,
      stream: r.stream,
      sender: r.sender,
    }));
}

export async function joinedRoomIds(tx: ReadTx, userId: string): Promise<string[]> {
  return (await userRows(tx, userId, -1)).filter((r) => r.membership === 'join').map((r) => r.room_id);
}

export async function memberRow(tx: ReadTx, roomId: string, userId: string): Promise<MemberRow | undefined> {
  return membersTable.get(tx, [roomId, userId]);
}

export async function membershipOf(
  tx: ReadTx,
  roomId: string,
  userId: string,
): Promise<Membership | undefined> {
  return (await memberRow(tx, roomId, userId))?.membership;
}

/** Current members of a room with the given membership, in stream order of their member events. */
export async function roomMembers(tx: ReadTx, roomId: string, membership: Membership): Promise<MemberRow[]> {
  const rows = await membersTable.query(tx, { index: 'room_membership', equals: [roomId, membership] });
  return rows.sort((a, b) => a.stream - b.stream);
}

/** Members whose member event took a stream position in (since, upTo], joined now or not. */
export async function memberChangesBetween(
  tx: ReadTx,
  roomId: string,
  since: number,
  upTo: number,
): Promise<{ userId: string; joined: boolean }[]> {
  const rows = await membersTable.query(tx, startingWith(roomId));
  return rows
    .filter((r) => r.stream > since && r.stream <= upTo)
    .map((r) => ({ userId: r.user_id, joined: r.membership === 'join' }));
}

export function countMembers(tx: ReadTx, roomId: string, membership: Membership): Promise<number> {
  return membersTable.count(tx, { index: 'room_membership', equals: [roomId, membership] });
}

/**
 * Heroes: the first five joined or invited members other than the user, by
 * stream order; when there are none, the users who left or were banned.
 */
export async function roomSummary(tx: ReadTx, roomId: string, userId: string): Promise<RoomSummary> {
  const joined = await roomMembers(tx, roomId, 'join');
  const invited = await roomMembers(tx, roomId, 'invite');
  let candidates = [...joined, ...invited];
  if (candidates.every((m) => m.user_id === userId)) {
    candidates = [...(await roomMembers(tx, roomId, 'leave')), ...(await roomMembers(tx, roomId, 'ban'))];
  }
  const heroes = candidates
    .filter((m) => m.user_id !== userId)
    .sort((a, b) => a.stream - b.stream)
    .slice(0, 5)
    .map((m) => m.user_id);
  return {
    'm.heroes': heroes,
    'm.joined_member_count': joined.length,
    'm.invited_member_count': invited.length,
  };
}

/** The user's pending invites: the room and who sent each. */
export async function pendingInvites(
  tx: ReadTx,
  userId: string,
): Promise<{ readonly roomId: string; readonly sender: string }[]> {
  const rows = await userRows(tx, userId, -1);
  return rows.filter((r) => r.membership === 'invite').map((r) => ({ roomId: r.room_id, sender: r.sender }));
}

/** Member events walked back from the current one before a rejoin is assumed (each a profile change). */
const MAX_JOIN_CHAIN = 32;

/**
 * Whether the member event `eventId` and every member event it replaced
 * after stream `since` are joins: the user stayed joined since then (profile
 * changes), rather than left and joined again. A chain longer than
 * MAX_JOIN_CHAIN counts as a rejoin, which costs the caller only a fuller
 * answer; one that ends after `since` (no replaced event recorded) counts as
 * joined, since the caller has seen the state at `since` say joined.
 */
export async function joinedThroughout(tx: ReadTx, eventId: string, since: number): Promise<boolean> {
  let id: string | undefined = eventId;
  for (let step = 0; step < MAX_JOIN_CHAIN && id !== undefined; step++) {
    const row = await eventsTable.get(tx, id);
    if (row?.pdu.content.membership !== 'join') return false;
    if (row.stream === undefined || row.stream <= since) return true;
    id = row.replaces;
  }
  return id === undefined;
}
