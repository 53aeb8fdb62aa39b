// The search index (an inverted index in the rooms module's own table, kept
// in the transaction that places the event): one row per (room, term, event)
// with the term's count in the event. Its primary key [room_id, term, stream]
// answers the search's three questions straight from the key: how many
// events of a room hold a term (a count over a key range, for picking the
// rarest term), which they are, newest first (a reverse range), and whether
// one event holds another term (a point lookup). The same rows work over
// IndexedDB and SQLite; README "Search" gives the measurements behind it.
import type { WriteTx } from '../storage/port.ts';
import { searchableText, termCounts } from './search-text.ts';
import { type EventRow, type SearchRow, searchTable } from './tables.ts';

/** Adds a timeline event's searchable text to the index (events without stream or text add nothing). */
export async function indexForSearch(tx: WriteTx, row: EventRow): Promise<void> {
  const rows = searchRowsOf(row);
  if (rows.length > 0) await searchTable.putAll(tx, rows);
}

/** The index's rows for a timeline event (none without stream or text). */
export function searchRowsOf(row: EventRow): SearchRow[] {
  if (row.stream === undefined || row.redacted_by !== undefined) return [];
  const text = searchableText(row.pdu);
  if (!text) return [];
  const rows: SearchRow[] = [];
  for (const [term, count] of termCounts(text.text)) {
    rows.push({
      room_id: row.room_id,
      term,
      stream: row.stream,
      event_id: row.event_id,
      k: text.code,
      n: count,
    });
  }
  return rows;
}

/** Removes an event's terms (before it is pruned by a redaction: its text is what was indexed). */
export async function unindexForSearch(tx: WriteTx, row: EventRow): Promise<void> {
  if (row.stream === undefined) return;
  const text = searchableText(row.pdu);
  if (!text) return;
  for (const term of termCounts(text.text).keys()) {
    await searchTable.delete(tx, [row.room_id, term, row.stream]);
  }
}
