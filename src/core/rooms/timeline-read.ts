// Reading a room's timeline in stream order, with filters and history
// visibility applied while scanning (so `limit` counts returned events).
import type { ReadTx } from '../storage/port.ts';
import type { RoomEventFilter } from '../events/filter.ts';
import { eventAllowed } from '../events/filter-match.ts';
import { type ClientEvent, type Viewer, formatRows } from './client-event.ts';
import { type EventRow, eventsTable } from './tables.ts';
import { VisibilityChecker } from './visibility.ts';
import { TIMELINE_START } from './pagination-token.ts';

const MAX_STREAM = Number.MAX_SAFE_INTEGER;
const BATCH = 100;

export interface TimelineSliceOptions {
  /** Exclusive lower bound (default: the beginning, backfilled history included). */
  readonly fromStream?: number;
  /** Inclusive upper bound (default: the end). */
  readonly toStream?: number;
  readonly limit: number;
  /** Take the newest `limit` events of the range instead of the oldest. */
  readonly backwards?: boolean;
  /** For unsigned.age. */
  readonly now: number;
  /** Applies history visibility for this user and shows transaction ids to their device. */
  readonly viewer?: Viewer;
  readonly filter?: RoomEventFilter;
}

export interface TimelineEntry {
  readonly stream: number;
  readonly event: ClientEvent;
}

export interface TimelineSlice {
  /** Oldest first. */
  readonly events: TimelineEntry[];
  /** More matching events lie in the range beyond the returned ones. */
  readonly limited: boolean;
  /** History visibility kept some of the range's events it looked at from the viewer. */
  readonly hidden?: boolean;
}

export interface ScanOptions {
  readonly fromStream: number;
  readonly toStream: number;
  readonly limit: number;
  readonly backwards: boolean;
  readonly accept: (row: EventRow) => Promise<boolean> | boolean;
}

/**
 * Rows of the room's timeline in (fromStream, toStream], in scan order (newest
 * first when backwards), up to `limit` accepted ones; `more` says another
 * accepted row exists beyond them.
 */
export function scanTimeline(
  tx: ReadTx,
  roomId: string,
  options: ScanOptions,
): Promise<{ rows: EventRow[]; more: boolean }> {
  return scanStreamIndex(tx, 'room_stream', [roomId], options);
}

/** scanTimeline over any events index whose key is `[...prefix, stream]`. */
export async function scanStreamIndex(
  tx: ReadTx,
  index: string,
  prefix: readonly string[],
  options: ScanOptions,
): Promise<{ rows: EventRow[]; more: boolean }> {
  const rows: EventRow[] = [];
  let low = options.fromStream;
  let high = options.toStream;
  // Unfiltered, limit + 1 rows answer the question; later batches are full-size.
  let size = Math.min(BATCH, options.limit + 1);
  while (low < high) {
    const batch = await eventsTable.query(tx, {
      index,
      range: { lower: [...prefix, low], lowerOpen: true, upper: [...prefix, high] },
      reverse: options.backwards,
      limit: size,
    });
    for (const row of batch) {
      if (!(await options.accept(row))) continue;
      if (rows.length === options.limit) return { rows, more: true };
      rows.push(row);
    }
    if (batch.length < size) break;
    const last = batch[batch.length - 1]!.stream!;
    if (options.backwards) high = last - 1;
    else low = last;
    size = BATCH;
  }
  return { rows, more: false };
}

/** A room's timeline in a stream range (see api.ts timelineSlice). */
export async function timelineSlice(
  tx: ReadTx,
  roomId: string,
  options: TimelineSliceOptions,
): Promise<TimelineSlice> {
  const checker = options.viewer && (await VisibilityChecker.create(tx, roomId, options.viewer.userId));
  let hidden = false;
  const visible = async (row: EventRow) => {
    if (checker === undefined || (await checker.canSee(row))) return true;
    hidden = true;
    return false;
  };
  const { rows, more } = await scanTimeline(tx, roomId, {
    fromStream: options.fromStream ?? TIMELINE_START,
    toStream: options.toStream ?? MAX_STREAM,
    limit: options.limit,
    backwards: options.backwards ?? false,
    accept: async (row) => eventAllowed(options.filter, row.pdu) && visible(row),
  });
  if (options.backwards) rows.reverse();
  const events = await formatRows(tx, rows, options.now, options.viewer);
  return {
    events: events.map((event, i) => ({ stream: rows[i]!.stream!, event })),
    limited: more,
    ...(hidden ? { hidden } : {}),
  };
}

/** Rooms with timeline events in (since, upTo]. */
export async function roomsWithEventsSince(
  tx: ReadTx,
  since: number,
  upTo = MAX_STREAM,
): Promise<Set<string>> {
  const rows = await eventsTable.query(tx, {
    index: 'stream',
    range: { lower: since, lowerOpen: true, upper: upTo },
  });
  return new Set(rows.map((r) => r.room_id));
}

export async function eventStream(tx: ReadTx, eventId: string): Promise<number | undefined> {
  return (await eventsTable.get(tx, eventId))?.stream;
}
