// Re-indexing the events stored before the search index (schema version 9
// replaced `room_search` by `room_search_rooms` + `room_search_terms` and
// could not carry the rows over: the port's upgrades change tables, not
// rows). Without this, every message of an upgraded homeserver's history is
// missing from POST /search.
//
// Which events: on the first run (no marker) the current stream position is
// recorded as the upper bound; every event placed after it is indexed live
// by the code that places it, so only timeline events at or below the bound
// are walked (the events table's `stream` index, lowest first, backfilled
// history's negative positions included). Each batch is one write
// transaction: it reads the events, writes their rows (`putAll`) and moves
// the marker past the last event read, so a worker stopped mid-way resumes
// after the last committed batch. A repeat is harmless anyway: a row's key
// is (room number, term, stream position) and its value is computed from the
// event alone, so writing it again writes the same row.
//
// What is indexed is exactly what placing indexes (`searchRowsFor`): events
// with a stream position (outliers and rejected events have none), with
// searchable text, not redacted. A redaction prunes its target's content and
// sets `redacted_by` in the same transaction that unindexes it, and a batch
// reads the events in its own transaction, so it never indexes a redacted
// event, before or after the redaction commits.
import { currentStreamPosition, STREAM_TABLE } from '../storage/stream.ts';
import type { Store, WriteTx } from '../storage/port.ts';
import { searchRowsFor } from './search-index.ts';
import {
  EVENTS,
  type EventRow,
  eventsTable,
  SEARCH_ROOMS,
  SEARCH_TERMS,
  type SearchReindexRow,
  type SearchRow,
  searchReindexTable,
  searchTable,
} from './tables.ts';

/** The marker's name in the counters table. */
const MARKER: SearchReindexRow['name'] = 'search_reindex';

/** Events read per write transaction: short enough not to hold the tables from live writes for long. */
export const REINDEX_BATCH = 500;

const TABLES = [STREAM_TABLE, EVENTS, SEARCH_ROOMS, SEARCH_TERMS];

/**
 * Re-indexes the next batch of stored events (at most `size`), moving the
 * marker in the same transaction. Returns whether the walk is over.
 */
export function reindexBatch(store: Store, size = REINDEX_BATCH): Promise<boolean> {
  return store.write(TABLES, async (tx) => {
    const marker = (await searchReindexTable.get(tx, MARKER)) ?? {
      name: MARKER,
      upto: await currentStreamPosition(tx),
    };
    if (marker.done) return true;
    const range =
      marker.after === undefined
        ? { upper: marker.upto }
        : { lower: marker.after, lowerOpen: true, upper: marker.upto };
    const events = await eventsTable.query(tx, { index: 'stream', range, limit: size });
    await indexAll(tx, events);
    const last = events.at(-1)?.stream;
    const next: SearchReindexRow = { ...marker, ...(last !== undefined && { after: last }) };
    if (events.length < size) next.done = true;
    await searchReindexTable.put(tx, next);
    return next.done === true;
  });
}

async function indexAll(tx: WriteTx, events: readonly EventRow[]): Promise<void> {
  const rows: SearchRow[] = [];
  for (const event of events) rows.push(...(await searchRowsFor(tx, event)));
  if (rows.length > 0) await searchTable.putAll(tx, rows);
}

/**
 * Walks the stored events a batch at a time until done or until `stopped`
 * resolves (the batch in flight commits first; the next run resumes after
 * it). `pause` runs between batches, so live requests get the store in
 * between (the homeserver yields to its event loop there).
 */
export async function reindexSearch(
  store: Store,
  stopped: () => boolean,
  pause: () => Promise<void>,
  size = REINDEX_BATCH,
): Promise<void> {
  while (!stopped()) {
    if (await reindexBatch(store, size)) return;
    await pause();
  }
}
