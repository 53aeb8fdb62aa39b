// Reading room state: the current state table, and the state at a stream
// position or at an event through state groups.
import type { ReadTx } from '../storage/port.ts';
import { type StateKey, stateKeyOf } from '../protocol/types.ts';
import { type StrippedStateEvent, toStripped } from './client-event.ts';
import { TIMELINE_START } from './pagination-token.ts';
import { type GroupCache, type StateIds, loadStateGroup } from './state-groups.ts';
import { boundedStrippedState } from './stripped-state.ts';
import {
  currentStateTable,
  type EventRow,
  eventsTable,
  inviteStateTable,
  membersTable,
  roomsTable,
} from './tables.ts';

/** The room's current state as (type, state_key) → event id (empty for unknown rooms). */
export async function currentStateIds(tx: ReadTx, roomId: string): Promise<StateIds> {
  const rows = await currentStateTable.query(tx, { index: 'room', equals: roomId });
  return new Map(rows.map((r) => [stateKeyOf(r.type, r.state_key), r.event_id]));
}

/** One current state event, if set. */
export async function currentStateEvent(
  tx: ReadTx,
  roomId: string,
  type: string,
  stateKey = '',
): Promise<EventRow | undefined> {
  const row = await currentStateTable.get(tx, [roomId, type, stateKey]);
  return row && eventsTable.get(tx, row.event_id);
}

/** The latest timeline event of a room at or before `stream`. */
export async function lastEventAtStream(
  tx: ReadTx,
  roomId: string,
  stream: number,
): Promise<EventRow | undefined> {
  const [row] = await eventsTable.query(tx, {
    index: 'room_stream',
    range: { lower: [roomId, TIMELINE_START], upper: [roomId, stream] },
    reverse: true,
    limit: 1,
  });
  return row;
}

/**
 * The state after the last timeline event at or before `stream`; before the
 * first one, the state before it (empty for a room created here).
 */
export async function stateIdsAtStream(
  tx: ReadTx,
  roomId: string,
  stream: number,
  cache?: GroupCache,
): Promise<StateIds> {
  const row = await lastEventAtStream(tx, roomId, stream);
  if (row) return loadStateGroup(tx, row.sg_after, cache);
  // Before our first timeline event of the room. A room joined over
  // federation starts here at the join, with the state the room had
  // before it: that is the state at any earlier position we can speak of.
  const [first] = await eventsTable.query(tx, {
    index: 'room_stream',
    range: { lower: [roomId, TIMELINE_START], upper: [roomId, Number.MAX_SAFE_INTEGER] },
    limit: 1,
  });
  return first ? loadStateGroup(tx, first.sg_before, cache) : new Map();
}

/** Loads the events of a state map (skipping any that are missing). */
export async function stateRows(
  tx: ReadTx,
  state: ReadonlyMap<StateKey, string>,
): Promise<Map<StateKey, EventRow>> {
  const out = new Map<StateKey, EventRow>();
  for (const [key, id] of state) {
    const row = await eventsTable.get(tx, id);
    if (row) out.set(key, row);
  }
  return out;
}

/** The state types shown to invitees and knockers (spec: "Stripped state", recommended set). */
const STRIPPED_TYPES = [
  'm.room.create',
  'm.room.join_rules',
  'm.room.name',
  'm.room.avatar',
  'm.room.canonical_alias',
  'm.room.topic',
  'm.room.encryption',
];

export async function strippedState(
  tx: ReadTx,
  roomId: string,
  userId?: string,
): Promise<StrippedStateEvent[]> {
  if (userId !== undefined && !(await roomsTable.get(tx, roomId)))
    return remoteInviteState(tx, roomId, userId);
  const out: StrippedStateEvent[] = [];
  for (const type of STRIPPED_TYPES) {
    const row = await currentStateEvent(tx, roomId, type);
    if (row) out.push(toStripped(row));
  }
  if (userId !== undefined) {
    const member = await currentStateEvent(tx, roomId, 'm.room.member', userId);
    if (member) out.push(toStripped(member));
    // The inviter's own member event, as Synapse sends it: without it an
    // invite has no other member, and clients (Element, js-sdk) name a DM
    // invite "Empty room" instead of after the person who sent it.
    if (member && member.sender !== userId) {
      const inviter = await currentStateEvent(tx, roomId, 'm.room.member', member.sender);
      if (inviter) out.push(toStripped(inviter));
    }
  }
  return out;
}

/**
 * A room held by another server that invited the user: the stripped state
 * that server sent with the invite, and the user's member event.
 */
async function remoteInviteState(tx: ReadTx, roomId: string, userId: string): Promise<StrippedStateEvent[]> {
  const stored = await inviteStateTable.get(tx, [roomId, userId]);
  const out = boundedStrippedState(stored?.events).filter(
    (e) => !(e.type === 'm.room.member' && e.state_key === userId),
  );
  const member = await membersTable.get(tx, [roomId, userId]);
  const event = member && (await eventsTable.get(tx, member.event_id));
  return event ? [...out, toStripped(event)] : out;
}
