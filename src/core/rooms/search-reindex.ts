// Re-indexing the events stored before the search index moved into the
// event rows (schema version 11: each timeline event's row carries its
// entries, search-index.ts, where `room_search_terms` held a row per term).
// The port's upgrades change tables, not rows, so the version 11 upgrade
// adds the events table's `search` index and drops `room_search_terms`;
// this walk then gives every stored event its entries, after start, a batch
// at a time. The upgrade is not free: adding an index to a table that has
// rows builds it then, so IndexedDB reads every row of `room_events` inside
// the versionchange transaction (none has the field yet: the index stays
// empty), and SQLite scans the rows' JSON text for the field's name
// (sqlite-schema.ts backfill; no row has it, so none is decoded). That is a
// read of the table, once: 1.1-1.6 s over 20,000 events in Chromium (README
// "Search"). Writing the entries is a rewrite of every event with
// text, with its room's number and its terms: done in the upgrade, it would
// hold the store closed (the extension's worker waiting, a start cut short
// losing all of it) for as long as that takes, and SQLite's file as long;
// here each batch is its own short write, live requests go in between, and
// a stopped walk resumes. Until it ends, events of before the upgrade are
// missing from POST /search, as after version 9's.
//
// Which events: on the first run (no marker) the current stream position is
// recorded as the upper bound; every event placed after it is indexed live
// by the code that places it, so only timeline events at or below the bound
// are walked (the events table's `stream` index, lowest first, backfilled
// history's negative positions included). Each batch is one write
// transaction: it reads the events, rewrites those that have entries and
// lack them, and moves the marker past the last event read, so a worker
// stopped mid-way resumes after the last committed batch. A repeat is
// harmless anyway: the entries are computed from the event alone.
//
// What is indexed is exactly what placing indexes (`searchEntriesFor`):
// events with a stream position (outliers and rejected events have none),
// with searchable text, not redacted. A redaction prunes its target's
// content, drops its entries and sets `redacted_by` in one transaction, and
// a batch reads the events in its own, so it never indexes a redacted event.
import { currentStreamPosition, STREAM_TABLE } from '../storage/stream.ts';
import type { Store, WriteTx } from '../storage/port.ts';
import { searchEntriesFor } from './search-index.ts';
import {
  EVENTS,
  type EventRow,
  eventsTable,
  SEARCH_ROOMS,
  type SearchReindexRow,
  searchReindexTable,
} from './tables.ts';

/** The marker's name in the counters table. */
const MARKER = 'search_rows';
/** The marker of the walk of schema versions 9 and 10 (rows of `room_search_terms`), deleted by this one. */
const OLD_MARKER = 'search_reindex';

/** Events read per write transaction: short enough not to hold the tables from live writes for long. */
export const REINDEX_BATCH = 500;

const TABLES = [STREAM_TABLE, EVENTS, SEARCH_ROOMS];

/**
 * Re-indexes the next batch of stored events (at most `size`), moving the
 * marker in the same transaction. Returns whether the walk is over.
 */
export function reindexBatch(store: Store, size = REINDEX_BATCH): Promise<boolean> {
  return store.write(TABLES, async (tx) => {
    const found = await searchReindexTable.get(tx, MARKER);
    if (found?.done) return true;
    const marker: SearchReindexRow = found ?? { name: MARKER, upto: await currentStreamPosition(tx) };
    if (!found) await searchReindexTable.delete(tx, OLD_MARKER);
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

/** Rewrites the events that should have entries and lack them (placed before version 11). */
async function indexAll(tx: WriteTx, events: readonly EventRow[]): Promise<void> {
  const rewritten: EventRow[] = [];
  for (const event of events) {
    if (event.search !== undefined) continue;
    const entries = await searchEntriesFor(tx, event);
    if (entries.length > 0) rewritten.push({ ...event, search: entries });
  }
  if (rewritten.length > 0) await eventsTable.putAll(tx, rewritten);
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
