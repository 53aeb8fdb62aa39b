// Placing history from before a room's timeline (backfill), inside the
// caller's write transaction. Room federation fetched and checked the events
// (federation/inbound/backfill.ts); this file files them, oldest first, at
// positions below everything the timeline holds (storage/stream.ts
// reserveBackfillPositions), so that:
//  - /messages, /context and the timeline reads, which order by stream
//    position, find them before the room's earlier first event;
//  - /sync, whose tokens are never below 0, never shows them as new;
//  - the room's current state, forward extremities and memberships stay as
//    they are: this is the past, already resolved into the present.
import type { RoomEvent, RoomVersion } from '../protocol.ts';
import type { ReadTx, WriteTx } from '../storage/port.ts';
import { applyRedaction, eventRow } from './persist-event.ts';
import { applyPendingRedactions, stateLookupIn } from './persist-remote.ts';
import { indexForSearch } from './search-index.ts';
import { stateEntryIn, writeStateGroup } from './state-groups.ts';
import { noteThreadReply } from './threads.ts';
import { writeNamedLater } from './remote-batch.ts';
import { eventsTable, mayBePlacedLater, referencedTable, roomsTable } from './tables.ts';
import { TIMELINE_START } from './pagination-token.ts';

/** How room federation placed one backfilled event. */
export interface BackfillPlacement {
  /** State group of the state before the event. */
  readonly sgBefore: number;
  /** Why it was rejected (steps 4 and 5); rejected events get no position. */
  readonly rejected?: string;
  /** Its position (from the batch's reservation); ignored when rejected. */
  readonly stream: number;
}

/** Files one checked event from the room's past (see the header). */
export async function persistBackfilledEvent(
  tx: WriteTx,
  event: RoomEvent,
  version: RoomVersion,
  placement: BackfillPlacement,
): Promise<void> {
  // The room, the prev events and this event's own `room_referenced` row
  // (it is placed now, rejected or not: tables.ts) go out together.
  const [room, prevs] = await Promise.all([
    roomsTable.get(tx, event.room_id),
    Promise.all(event.prev_events.map((prev) => eventsTable.get(tx, prev))),
    referencedTable.delete(tx, [event.room_id, event.event_id]),
  ]);
  if (!room) throw new Error(`room ${event.room_id} is not held here`);
  const row = eventRow(event, room);
  row.sg_before = row.sg_after = placement.sgBefore;
  if (placement.rejected !== undefined) {
    row.rejected = placement.rejected;
    await eventsTable.put(tx, row);
    return;
  }
  // A prev event that may be placed later (from a peer) must then know it has
  // children (remote-batch.ts); a rejected event is no child there, as placing
  // from peers counts it (found in review: backfill wrote rows for its prevs).
  const later = event.prev_events.filter((_, i) => mayBePlacedLater(prevs[i]));
  await Promise.all(
    writeNamedLater(tx, room.room_id, new Map(later.map((prev) => [prev, [event.event_id]]))),
  );
  if (event.state_key !== undefined) {
    const replaced = await stateEntryIn(tx, placement.sgBefore, event.type, event.state_key);
    if (replaced !== undefined) row.replaces = replaced;
    row.sg_after = await writeStateGroup(tx, room.room_id, placement.sgBefore, [
      [event.type, event.state_key, event.event_id],
    ]);
  }
  row.stream = placement.stream;
  await indexForSearch(tx, row);
  await eventsTable.put(tx, row);
  await noteThreadReply(tx, row, true);
  await applyPendingRedactions(tx, event.event_id, version);
  if (event.type === 'm.room.redaction')
    await applyRedaction(tx, event, await stateLookupIn(tx, placement.sgBefore), version);
}

/** The oldest timeline events of a room looked at for the edge of its known history. */
const EDGE_SCAN = 20;

/**
 * The edge of a room's known history (Synapse's "backward extremities"): the
 * prev events of its oldest timeline events that may still be placed
 * (tables.ts mayBePlacedLater: not held, or outliers). Empty
 * once history reaches the room's creation. `depth` is the lowest depth among the events citing them;
 * `oldestTs` the origin_server_ts of the oldest timeline event.
 */
export async function historyEdge(
  tx: ReadTx,
  roomId: string,
): Promise<{ ids: string[]; depth: number; oldestTs?: number }> {
  const oldest = await eventsTable.query(tx, {
    index: 'room_stream',
    range: { lower: [roomId, TIMELINE_START], upper: [roomId, Number.MAX_SAFE_INTEGER] },
    limit: EDGE_SCAN,
  });
  const cited = oldest.flatMap((row) => row.pdu.prev_events.map((prev) => ({ prev, depth: row.depth })));
  const held = await Promise.all(cited.map(({ prev }) => eventsTable.get(tx, prev)));
  const ids = new Set<string>();
  let depth = Number.MAX_SAFE_INTEGER;
  for (const [i, { prev, depth: citing }] of cited.entries()) {
    if (!mayBePlacedLater(held[i])) continue;
    ids.add(prev);
    depth = Math.min(depth, citing);
  }
  return { ids: [...ids], depth, ...(oldest[0] && { oldestTs: oldest[0].ts }) };
}
