// Persisting events that came from other servers, inside the caller's write
// transaction. Room federation decides (the checks on receipt of a PDU); this
// file only places the decided event in the tables (see tables.ts), so local
// and remote events share one storage model: state groups, current state,
// forward extremities, memberships and stream positions.
import {
  type RoomEvent,
  type RoomVersion,
  type StateKey,
  resolveStateV2,
  splitStateKey,
  stateKeyOf,
} from '../protocol.ts';
import type { ReadTx, WriteTx } from '../storage/port.ts';
import { applyRedaction, eventRow, updateMembership, updateMemberships } from './persist-event.ts';
import { indexForSearch } from './search-index.ts';
import {
  type StateIds,
  loadStateGroup,
  stateEntryIn,
  writeSnapshot,
  writeStateGroup,
} from './state-groups.ts';
import {
  type CurrentStateRow,
  currentStateRowOf,
  currentStateTable,
  type EventRow,
  eventsTable,
  membersTable,
  pendingRedactionsTable,
  type RoomRow,
  roomsTable,
  startingWith,
} from './tables.ts';
import { RemoteBatch } from './remote-batch.ts';
import { noteThreadReply, THREAD } from './threads.ts';

/** What room federation decided about an event, and the state before it. */
export interface RemotePlacement {
  /** State group of the state before the event (computed from its prev_events). */
  readonly sgBefore: number;
  /** Passed the checks against the state before it, failed against the current state (step 6). */
  readonly softFailed?: boolean;
  /** Why the event was rejected (steps 4 and 5). */
  readonly rejected?: string;
}

export interface RemoteOutcome {
  /** Timeline position; undefined for rejected and soft-failed events. */
  readonly stream?: number;
  /** Users whose membership changed in the current state (their syncs must wake). */
  readonly members: readonly string[];
  /** The event's row as stored (undefined when a waiting redaction pruned it). */
  readonly row?: EventRow;
}

/** Where state resolution reads events from: this transaction. */
export function txEventProvider(tx: ReadTx) {
  return {
    getEvent: async (id: string) => (await eventsTable.get(tx, id))?.pdu,
    isRejected: async (id: string) => (await eventsTable.get(tx, id))?.rejected !== undefined,
  };
}

/**
 * Places a checked event from another server:
 * 1. its row with the state before it and, for an accepted state event, the state after it;
 * 2. rejected and soft-failed events stop there (no stream position, no extremity;
 *    their `room_referenced` row goes, as for the others in 3);
 * 3. the next stream position (and the event's words in the search index; a
 *    thread reply marks its root, a late root is marked: threads.ts); the
 *    event replaces its prev_events as forward
 *    extremity, unless an event already names it as prev (it arrived late);
 * 4. the current state: the state of the one forward extremity, or the
 *    resolution (v2) of the states of all of them, applied to current state
 *    and memberships;
 * 5. a redaction prunes its target when the rules allow it (against the state before it).
 * Events placed in one transaction share a `batch` (remote-batch.ts), which
 * the caller opens before the first and finishes after the last; without
 * one the event is a batch of its own.
 */
export async function persistRemoteEvent(
  tx: WriteTx,
  event: RoomEvent,
  version: RoomVersion,
  placement: RemotePlacement,
  batch?: RemoteBatch,
): Promise<RemoteOutcome> {
  if (batch) return placeRemote(tx, event, version, placement, batch);
  const own = await RemoteBatch.open(tx, event.room_id, [event.event_id]);
  const outcome = await placeRemote(tx, event, version, placement, own);
  await own.finish();
  return outcome;
}

async function placeRemote(
  tx: WriteTx,
  event: RoomEvent,
  version: RoomVersion,
  placement: RemotePlacement,
  batch: RemoteBatch,
): Promise<RemoteOutcome> {
  const room = batch.room;
  // 1.
  const row = eventRow(event, room);
  row.sg_before = row.sg_after = placement.sgBefore;
  if (placement.rejected !== undefined) row.rejected = placement.rejected;
  else if (event.state_key !== undefined) {
    const replaced = await stateEntryIn(tx, placement.sgBefore, event.type, event.state_key);
    if (replaced !== undefined) row.replaces = replaced;
    row.sg_after = await writeStateGroup(tx, room.room_id, placement.sgBefore, [
      [event.type, event.state_key, event.event_id],
    ]);
  }
  // 2.
  if (placement.rejected !== undefined || placement.softFailed) {
    if (placement.softFailed) row.soft_failed = true;
    batch.writeEvent(row);
    batch.settle(event.event_id);
    return { members: [], row };
  }
  // 3.
  const stream = batch.nextStreamPosition();
  row.stream = stream;
  if (row.rel_type !== THREAD && (await batch.hasThreadReplies(row.event_id))) row.thread_root = true;
  await indexForSearch(tx, row);
  batch.writeEvent(row);
  if (row.rel_type === THREAD && row.relates_to !== undefined) {
    batch.noteThreadReply(row.relates_to);
    await noteThreadReply(tx, row);
  }
  const pending = batch.mayHavePendingRedactions(event.event_id);
  const pruned = pending ? await applyPendingRedactions(tx, event.event_id, version) : false;
  batch.placeInDag(event.event_id, event.prev_events);
  // 4.
  const group = await currentGroup(tx, batch, row, version);
  const members =
    room.state_group === placement.sgBefore && group === row.sg_after
      ? await applyOwnChange(tx, event, stream)
      : await applyStateDiff(tx, room.room_id, await loadStateGroup(tx, group), stream);
  if (group !== room.state_group) {
    batch.room = { ...room, state_group: group } satisfies RoomRow;
    batch.issue(roomsTable.put(tx, batch.room));
  }
  // 5.
  if (event.type === 'm.room.redaction') {
    batch.notePlacedRedaction();
    const before = await stateLookupIn(tx, placement.sgBefore);
    await applyRedaction(tx, event, before, version);
  }
  return { stream, members, ...(!pruned && { row }) };
}

/** The state group of the room's current state: its one extremity's, or all of theirs resolved. */
async function currentGroup(
  tx: WriteTx,
  batch: RemoteBatch,
  placed: EventRow,
  version: RoomVersion,
): Promise<number> {
  const room = batch.room;
  const groups = new Set<number>();
  for (const id of batch.extremities()) {
    const row = id === placed.event_id ? placed : await eventsTable.get(tx, id);
    if (row) groups.add(row.sg_after);
  }
  if (groups.size === 0) return room.state_group;
  if (groups.size === 1) return [...groups][0]!;
  const states: StateIds[] = [];
  for (const group of groups) states.push(await loadStateGroup(tx, group));
  const resolved = await resolveStateV2(states, txEventProvider(tx), version);
  return writeSnapshot(tx, room.room_id, resolved);
}

/** Current state moved by exactly this event (the usual case: it extends the only extremity). */
async function applyOwnChange(tx: WriteTx, event: RoomEvent, stream: number): Promise<string[]> {
  if (event.state_key === undefined) return [];
  const member = event.type === 'm.room.member';
  // The membership's requests go out beside the current state's put (each awaited alone is a round trip).
  await Promise.all([
    currentStateTable.put(tx, currentStateRowOf(event, event.state_key)),
    member && updateMembership(tx, event, stream),
  ]);
  return member ? [event.state_key] : [];
}

/** Makes current state (and memberships) equal `state`; returns the users whose membership changed. */
async function applyStateDiff(
  tx: WriteTx,
  roomId: string,
  state: StateIds,
  stream: number,
): Promise<string[]> {
  const rows = await currentStateTable.query(tx, { index: 'room', equals: roomId });
  const old = new Map(rows.map((r) => [stateKeyOf(r.type, r.state_key), r.event_id]));
  // Each key touches its own rows: all of them at once, each table's in one
  // request (a join's whole state is a thousand members in a big room, and in
  // IndexedDB one by one is a round trip each).
  const changed = [...state].filter(([key, eventId]) => old.get(key) !== eventId);
  await currentStateTable.putAll(
    tx,
    changed.map(([key, eventId]) => {
      const [type, stateKey] = splitStateKey(key);
      return { room_id: roomId, type, state_key: stateKey, event_id: eventId } satisfies CurrentStateRow;
    }),
  );
  const memberIds = changed.filter(([key]) => splitStateKey(key)[0] === 'm.room.member').map(([, id]) => id);
  const memberEvents = (await Promise.all(memberIds.map((id) => eventsTable.get(tx, id))))
    .filter((row) => row !== undefined)
    .map((row) => row.pdu);
  await updateMemberships(tx, memberEvents, stream);
  const joined = memberEvents.map((event) => event.state_key);
  const members = joined.filter((m): m is string => m !== undefined);
  for (const key of old.keys()) {
    if (state.has(key)) continue;
    const [type, stateKey] = splitStateKey(key);
    await currentStateTable.delete(tx, [roomId, type, stateKey]);
    if (type === 'm.room.member') {
      await membersTable.delete(tx, [roomId, stateKey]);
      members.push(stateKey);
    }
  }
  return members;
}

/**
 * Redactions placed before this event (see tables.ts) prune it now, when the
 * rules allow it against the state before each redaction; true when some waited.
 */
export async function applyPendingRedactions(
  tx: WriteTx,
  eventId: string,
  version: RoomVersion,
): Promise<boolean> {
  const { range } = startingWith(eventId);
  const pendings = await pendingRedactionsTable.query(tx, { range });
  for (const pending of pendings) {
    const redaction = await eventsTable.get(tx, pending.redaction_id);
    if (redaction && redaction.rejected === undefined && !redaction.soft_failed)
      await applyRedaction(tx, redaction.pdu, await stateLookupIn(tx, redaction.sg_before), version);
  }
  if (pendings.length > 0) await pendingRedactionsTable.deleteWhere(tx, { range });
  return pendings.length > 0;
}

/** A synchronous lookup over the events of a state group (for the redaction rules). */
export async function stateLookupIn(tx: ReadTx, group: number) {
  const events = new Map<StateKey, RoomEvent>();
  for (const [key, id] of await loadStateGroup(tx, group)) {
    const row = await eventsTable.get(tx, id);
    if (row) events.set(key, row.pdu);
  }
  return (type: string, stateKey: string) => events.get(stateKeyOf(type, stateKey));
}
