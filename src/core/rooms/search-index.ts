// The search index (an inverted index inside the events table, kept in the
// transaction that places the event): a timeline event's row carries
// `search`, one entry [room, term, stream] per distinct term of its
// searchable text, and the events table's multiEntry index `search` over
// them (storage/port.ts IndexSpec) answers the search's questions straight
// from the index: how many events of a room hold a term (a count over a key
// range, for picking the rarest term) and which they are, newest first (a
// reverse range, yielding the event rows themselves). Whether an event holds
// the other terms, under which key and how often is read from the event's
// own text (search-text.ts), which the entries were made from.
//
// So placing a message is one put of its row whatever its length, where a
// row per term made about ten requests more (IndexedDB's cost is per request:
// README "Search"). The entries stay small: the room is its number
// (room_search_rooms), not its id.
import type { ReadTx, WriteTx } from '../storage/port.ts';
import { searchableText, termCounts } from './search-text.ts';
import { type EventRow, type SearchEntry, searchRoomsTable } from './tables.ts';

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

/**
 * Sets a timeline event's index entries on its row, before the row is put
 * (events without stream or text, and redacted ones, get none: the field is
 * left out). The room is numbered (roomNumberFor) only for an event that
 * has entries.
 */
export async function indexForSearch(tx: WriteTx, row: EventRow): Promise<void> {
  const entries = await searchEntriesFor(tx, row);
  if (entries.length > 0) row.search = entries;
  else delete row.search;
}

/**
 * The index entries of a timeline event (see indexForSearch), frozen with
 * each entry: copies of the row share them (storage/copy-row.ts), and they
 * are replaced whole, never changed in place.
 */
export async function searchEntriesFor(tx: WriteTx, row: EventRow): Promise<readonly SearchEntry[]> {
  const { stream } = row;
  if (stream === undefined || row.redacted_by !== undefined) return [];
  const text = searchableText(row.pdu);
  if (!text) return [];
  const r = await roomNumberFor(tx, row.room_id);
  return Object.freeze(
    [...termCounts(text.text).keys()].map((t) => Object.freeze([r, t, stream]) as SearchEntry),
  );
}
