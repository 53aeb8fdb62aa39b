// The search index (an inverted index in the rooms module's own tables, kept
// in the transaction that places the event): one row per (room, term, event)
// with the term's count in the event. Its primary key [room, term, stream]
// answers the search's three questions straight from the key: how many
// events of a room hold a term (a count over a key range, for picking the
// rarest term), which they are, newest first (a reverse range), and whether
// one event holds another term (a point lookup). The same rows work over
// IndexedDB and SQLite; README "Search" gives the measurements behind it.
//
// The rows are most of the store's rows (about 9 a message), so each is kept
// small: the room is its number (room_search_rooms), not its id; the event
// is found from the room and the stream position (the events table's
// room_stream index), not named; the key's code and the count are left out
// when they are the usual ones (the body, once).
import type { ReadTx, WriteTx } from '../storage/port.ts';
import { SEARCH_KEYS, searchableText, termCounts } from './search-text.ts';
import { type EventRow, eventsTable, type SearchRow, searchRoomsTable, searchTable } from './tables.ts';

/** The key code a row without `k` has. */
export const BODY_CODE = SEARCH_KEYS['content.body'].code;

/** A row's key code and count, with the defaults of rows that leave them out. */
export const codeOf = (row: SearchRow): string => row.k ?? BODY_CODE;
export const countOf = (row: SearchRow): number => row.n ?? 1;

/** A room's number in the index, if it has one. */
export async function searchRoomNumber(tx: ReadTx, roomId: string): Promise<number | undefined> {
  return (await searchRoomsTable.get(tx, roomId))?.r;
}

/** Numbers being given out in a transaction: one after the other, so two rooms never get the same. */
const numbering = new WeakMap<WriteTx, Promise<unknown>>();

/** Numbers read or given out in a transaction: a received batch of one room's events reads its room's once. */
const inTransaction = new WeakMap<WriteTx, Map<string, number>>();

/** The room's number, given it (the next after the highest) when it has none. */
export async function roomNumberFor(tx: WriteTx, roomId: string): Promise<number> {
  const remembered = inTransaction.get(tx)?.get(roomId);
  if (remembered !== undefined) return remembered;
  const r = await readOrNumber(tx, roomId);
  const numbers = inTransaction.get(tx) ?? new Map<string, number>();
  numbers.set(roomId, r);
  inTransaction.set(tx, numbers);
  return r;
}

async function readOrNumber(tx: WriteTx, roomId: string): Promise<number> {
  const known = await searchRoomNumber(tx, roomId);
  if (known !== undefined) return known;
  const next = (numbering.get(tx) ?? Promise.resolve()).then(async () => {
    const again = await searchRoomNumber(tx, roomId);
    if (again !== undefined) return again;
    // Numbers are never taken back, so the count of rooms is the highest number.
    const r = (await searchRoomsTable.count(tx)) + 1;
    await searchRoomsTable.put(tx, { room_id: roomId, r });
    return r;
  });
  numbering.set(
    tx,
    next.catch(() => undefined),
  );
  return next;
}

/** The event a row stands for: the room's at the row's stream position. */
export async function eventAtStream(
  tx: ReadTx,
  roomId: string,
  stream: number,
): Promise<EventRow | undefined> {
  const [event] = await eventsTable.query(tx, { index: 'room_stream', equals: [roomId, stream], limit: 1 });
  return event;
}

/** Adds a timeline event's searchable text to the index (events without stream or text add nothing). */
export async function indexForSearch(tx: WriteTx, row: EventRow): Promise<void> {
  const rows = await searchRowsFor(tx, row);
  if (rows.length > 0) await searchTable.putAll(tx, rows);
}

/**
 * The index's rows for a timeline event: none without a stream position or
 * searchable text, or once redacted; the room is numbered (roomNumberFor)
 * only for an event that has rows.
 */
export async function searchRowsFor(tx: WriteTx, row: EventRow): Promise<SearchRow[]> {
  const { stream } = row;
  if (stream === undefined || row.redacted_by !== undefined) return [];
  const text = searchableText(row.pdu);
  if (!text) return [];
  const r = await roomNumberFor(tx, row.room_id);
  const rows: SearchRow[] = [];
  for (const [t, count] of termCounts(text.text)) {
    const entry: SearchRow = { r, t, s: stream };
    if (text.code !== BODY_CODE) entry.k = text.code;
    if (count !== 1) entry.n = count;
    rows.push(entry);
  }
  return rows;
}

/** Removes an event's terms (before it is pruned by a redaction: its text is what was indexed). */
export async function unindexForSearch(tx: WriteTx, row: EventRow): Promise<void> {
  if (row.stream === undefined) return;
  const text = searchableText(row.pdu);
  if (!text) return;
  const r = await searchRoomNumber(tx, row.room_id);
  if (r === undefined) return;
  for (const term of termCounts(text.text).keys()) {
    await searchTable.delete(tx, [r, term, row.stream]);
  }
}
