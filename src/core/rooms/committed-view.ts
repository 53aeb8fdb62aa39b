// What a sync may take from a commit's rows without reading storage
// (sync/sync-view.ts, storage/commit-log.ts): the rooms tables a commit that only adds timeline
// events writes, and the events whose client form is their row alone.
import type { CommitLogOptions } from '../storage/commit-log.ts';
import { STREAM_TABLE } from '../storage/stream.ts';
import {
  EDGES,
  EVENTS,
  EXTREMITIES,
  EXTREMITY_SETS,
  type EventRow,
  PENDING_REDACTIONS,
  REFERENCED,
  ROOMS,
  SEARCH_ROOMS,
  STATE_GROUPS,
  TXNS,
} from './tables.ts';

/**
 * Tables a commit may write and still be read from its rows: the event rows
 * themselves (checked one by one with plainTimelineRow), the stream counter,
 * the room row (its state group, checked against the events'), and tables no
 * sync reads (the DAG's extremities, edges and ids referenced before placed,
 * transaction ids, the search index's room numbers, redactions waiting for
 * their event; the search entries are in the event rows). Anything else
 * (current state, members, receipts, account data, keys, to-device...) sends
 * the sync to storage.
 */
export const COMMITTED_VIEW_TABLES: ReadonlySet<string> = new Set([
  STREAM_TABLE,
  EVENTS,
  ROOMS,
  STATE_GROUPS,
  EXTREMITIES,
  EXTREMITY_SETS,
  EDGES,
  TXNS,
  SEARCH_ROOMS,
  PENDING_REDACTIONS,
  REFERENCED,
]);

/**
 * Whether the row's client form is the row alone, the same for every joined
 * member (client-event.ts formatRows reads nothing more for it): a message-like
 * event in the timeline, not state (membership, visibility and the summary
 * move with state), not a redaction (it changes an earlier event), neither
 * redacted, a thread root, rejected, soft-failed nor an outlier.
 */
export function plainTimelineRow(row: EventRow): boolean {
  return (
    row.stream !== undefined &&
    row.state_key === undefined &&
    row.type !== 'm.room.redaction' &&
    row.redacted_by === undefined &&
    row.replaces === undefined &&
    row.thread_root !== true &&
    row.rejected === undefined &&
    row.soft_failed !== true &&
    row.outlier !== true &&
    row.sg_before === row.sg_after
  );
}

/**
 * What the commit log keeps of the rooms tables: event rows per commit, the
 * latest room rows (their state group), and each room's last timeline event's
 * state group after it (what state-read.ts stateIdsAtStream gives at a
 * position: the state a limited timeline's state section starts from).
 */
export const COMMITTED_VIEW_LOG: CommitLogOptions = {
  kept: { [EVENTS]: 'event_id' },
  latest: { [ROOMS]: 'room_id' },
  newest: {
    table: EVENTS,
    of: (row) => {
      const { room_id, stream, sg_after } = row as EventRow;
      return stream === undefined ? undefined : { group: room_id, order: stream, value: sg_after };
    },
  },
};
