// A room's forward extremities: the events with no children, which become
// the prev_events of the next event built here (spec: server-server API,
// "PDUs": prev_events are "the most recent events in the room that the
// homeserver was aware of when it made this event").
// From schema version 12 they are one row per room (`room_extremity_sets`):
// a write that extends a linear chain, the usual one, puts that row once,
// where the rows per (room, event) of `room_extremities` took a delete and a
// put, each a request of a hot write (IndexedDB's per-request cost, issue 13).
//
// An upgrade changes tables, not rows (storage/schema-versions.ts), so a
// room written before version 12 keeps its rows there: a room with no set
// row has those as its extremities, and its first write puts the set and
// deletes them (one deleteWhere), in the same transaction. Every reader and
// writer of extremities goes through here.
import type { ReadTx, WriteTx } from '../storage/port.ts';
import { extremitiesTable, extremitySetsTable } from './tables.ts';

/** A room's extremities as read, which a write of them takes back. */
export interface Extremities {
  readonly roomId: string;
  /** Sorted (the order the per-event rows were read in). */
  readonly ids: readonly string[];
  /** Read from the rows of before version 12: the write deletes them. */
  readonly old: boolean;
}

export async function readExtremities(tx: ReadTx, roomId: string): Promise<Extremities> {
  const set = await extremitySetsTable.get(tx, roomId);
  if (set) return { roomId, ids: set.event_ids, old: false };
  const rows = await extremitiesTable.query(tx, { index: 'room', equals: roomId });
  return { roomId, ids: rows.map((r) => r.event_id), old: rows.length > 0 };
}

/** Writes the room's extremities as `ids` (the room's set as `read` in this transaction). */
export function writeExtremities(tx: WriteTx, read: Extremities, ids: Iterable<string>): Promise<unknown> {
  // Sorted by UTF-16 code units, as IndexedDB orders string keys.
  const put = extremitySetsTable.put(tx, { room_id: read.roomId, event_ids: [...new Set(ids)].sort() });
  if (!read.old) return put;
  return Promise.all([put, extremitiesTable.deleteWhere(tx, { index: 'room', equals: read.roomId })]);
}
