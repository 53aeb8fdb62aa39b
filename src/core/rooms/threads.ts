// Threads (spec: client-server API "Threading"): an event whose
// `m.relates_to` has rel_type `m.thread` is in the thread of the event it
// names (the root); every other event is in the main timeline.
//
// A root's row carries `thread_root` once a reply is placed (persist-event.ts,
// persist-remote.ts call noteThreadReply); a root that may be placed later
// (tables.ts mayBePlacedLater) is kept in `room_referenced`, so that placing it asks for its replies (remote-batch.ts
// asks only for those). Formatting an event looks for
// its thread only when it has one: the bundled aggregation `m.thread`
// (latest_event, count, current_user_participated) costs nothing for the
// other events. The count and the latest reply come from the
// `relation_type` index at read time, so a redacted reply (its relation
// dropped) leaves both.
import type { ReadTx, WriteTx } from '../storage/port.ts';
import { type EventRow, eventsTable, mayBePlacedLater, referencedTable } from './tables.ts';

export const THREAD = 'm.thread';
export const MAIN_THREAD = 'main';
const MAX_STREAM = Number.MAX_SAFE_INTEGER;

/** The thread an event belongs to: its root's id, or `main`. */
export function threadOf(row: Pick<EventRow, 'rel_type' | 'relates_to'>): string {
  return row.rel_type === THREAD && row.relates_to !== undefined ? row.relates_to : MAIN_THREAD;
}

/** The thread of an event's client content (`m.relates_to`), or `main`. */
export function threadOfContent(content: Readonly<Record<string, unknown>>): string {
  const relation = content['m.relates_to'] as Readonly<Record<string, unknown>> | undefined;
  return relation?.rel_type === THREAD && typeof relation.event_id === 'string'
    ? relation.event_id
    : MAIN_THREAD;
}

/** The index range of a root's thread replies in the timeline. */
export function threadReplies(rootId: string, low = 0, high = MAX_STREAM) {
  return {
    index: 'relation_type',
    range: { lower: [rootId, THREAD, low], upper: [rootId, THREAD, high] },
  } as const;
}

/**
 * After a timeline event's row is written: a thread reply marks its root; a
 * root placed after its replies (a remote event arriving late) is marked too
 * when `lookBack` asks.
 */
export async function noteThreadReply(tx: WriteTx, row: EventRow, lookBack = false): Promise<void> {
  if (row.stream === undefined) return;
  if (row.rel_type === THREAD && row.relates_to !== undefined) {
    const root = await eventsTable.get(tx, row.relates_to);
    if (root && !root.thread_root && root.room_id === row.room_id)
      await eventsTable.put(tx, { ...root, thread_root: true });
    if (mayBePlacedLater(root))
      await referencedTable.put(tx, { room_id: row.room_id, event_id: row.relates_to });
  } else if (lookBack && !row.thread_root && (await eventsTable.count(tx, threadReplies(row.event_id))) > 0) {
    await eventsTable.put(tx, { ...row, thread_root: true });
  }
}

export interface ThreadSummary {
  readonly latest: EventRow;
  readonly count: number;
  readonly participated: boolean;
}

/** Participation is looked for among this many latest replies (a thread may be long). */
const PARTICIPATION_SCAN = 500;

/** The replies of a thread root (undefined without any). */
export async function threadSummary(
  tx: ReadTx,
  root: EventRow,
  userId: string | undefined,
): Promise<ThreadSummary | undefined> {
  const range = threadReplies(root.event_id);
  const count = await eventsTable.count(tx, range);
  if (count === 0) return undefined;
  const recent = await eventsTable.query(tx, { ...range, reverse: true, limit: PARTICIPATION_SCAN });
  const participated =
    userId !== undefined && (root.sender === userId || recent.some((r) => r.sender === userId));
  return { latest: recent[0]!, count, participated };
}
