// unread_notifications of joined rooms, from notify-rules.ts (the same
// evaluation GET /notifications lists). Counting starts after the user's
// read receipt, or after their own latest event if that is later (sending
// implies having read what came before).
//
// With `unread_thread_notifications` in the filter (spec: "Threaded read
// receipts"), each thread is counted apart: `unread_notifications` holds the
// main timeline's, `unread_thread_notifications` each thread's by root id,
// each starting after the later of the unthreaded receipt and that thread's
// own receipt. The walk looks at MAX_SCANNED events at most.
import { BoundedCache } from '../protocol/bounded-cache.ts';
import * as rooms from '../rooms/api.ts';
import { NOTIFYING_TYPES, notificationFor } from './notify-rules.ts';
import { readPositions, readUpTo } from './receipts.ts';
import type { SyncContext } from './sync-context.ts';

/** Counting stops here; clients show large counts as "99+" anyway. */
export const MAX_COUNTED = 100;

export interface UnreadCounts {
  notification_count: number;
  highlight_count: number;
}

/** Events of the room in (from, context position], all of them (no filter), oldest first. */
export interface RecentEvents {
  readonly from: number;
  readonly entries: readonly rooms.TimelineEntry[];
}

/** The counts last computed per user and room: up to which position, from which read position. */
export type UnreadMemo = BoundedCache<
  string,
  { position: number; readPosition: number; counts: UnreadCounts }
>;

/** Rooms × users whose last counts are kept (a few hundred bytes each). */
const MEMO_ENTRIES = 10_000;

export const createUnreadMemo = (): UnreadMemo => new BoundedCache(MEMO_ENTRIES);

/** Counts events newest first until the user's own event, the read position or the cap. */
class Tally {
  readonly counts: UnreadCounts = { notification_count: 0, highlight_count: 0 };
  private readonly userId: string;
  private readonly readPosition: number;

  constructor(userId: string, readPosition: number) {
    this.userId = userId;
    this.readPosition = readPosition;
  }

  /** Takes entries (oldest first); true when counting is over. */
  take(entries: readonly rooms.TimelineEntry[]): boolean {
    for (let i = entries.length - 1; i >= 0; i--) {
      const { stream, event } = entries[i]!;
      if (stream <= this.readPosition || event.sender === this.userId) return true;
      const notification = notificationFor(event, this.userId);
      if (!notification) continue;
      this.counts.notification_count += 1;
      if (notification.highlight) this.counts.highlight_count += 1;
      if (this.counts.notification_count >= MAX_COUNTED) return true;
    }
    return false;
  }
}

/**
 * The counts for one room at the context's position. `recent`, the newest
 * events the sync already read, often settles it without another read.
 */
export async function unreadCounts(
  ctx: SyncContext,
  roomId: string,
  recent?: RecentEvents,
): Promise<UnreadCounts> {
  const readPosition = await readUpTo(ctx.tx, roomId, ctx.userId);
  const tally = new Tally(ctx.userId, readPosition);
  const key = `${ctx.userId}\u0000${roomId}`;
  const keep = (counts: UnreadCounts) => {
    ctx.unread?.set(key, { position: ctx.position, readPosition, counts: { ...counts } });
    return counts;
  };
  if (recent && (tally.take(recent.entries) || recent.from <= readPosition)) return keep(tally.counts);
  // The walk over what came before `recent` gave these counts at the last
  // sync, if it ended where `recent` begins from the same read position:
  // those events did not change since, unless a redaction among the new ones
  // (a redacted mention no longer highlights) or the cap makes it differ.
  const known = recent && ctx.unread?.get(key);
  if (
    known &&
    known.position === recent.from &&
    known.readPosition === readPosition &&
    known.counts.notification_count + tally.counts.notification_count < MAX_COUNTED &&
    !recent.entries.some((e) => e.event.type === 'm.room.redaction')
  )
    return keep({
      notification_count: known.counts.notification_count + tally.counts.notification_count,
      highlight_count: known.counts.highlight_count + tally.counts.highlight_count,
    });
  const slice = await rooms.timelineSlice(ctx.tx, roomId, {
    fromStream: readPosition,
    toStream: recent ? recent.from : ctx.position,
    limit: MAX_COUNTED - tally.counts.notification_count,
    backwards: true,
    now: ctx.now,
    filter: { types: NOTIFYING_TYPES },
    // Without a receipt, history visibility keeps out what came before the user joined.
    ...(readPosition === 0 ? { viewer: { userId: ctx.userId } } : {}),
  });
  tally.take(slice.events);
  return keep(tally.counts);
}

/** Events looked at for per-thread counts (a long-unread room stops there). */
const MAX_SCANNED = 500;

export interface ThreadedUnreadCounts {
  readonly main: UnreadCounts;
  readonly threads: Record<string, UnreadCounts>;
}

/** Counts per thread (see the header) at the context's position. */
export async function threadedUnreadCounts(ctx: SyncContext, roomId: string): Promise<ThreadedUnreadCounts> {
  const { unthreaded, threads: read } = await readPositions(ctx.tx, roomId, ctx.userId);
  const slice = await rooms.timelineSlice(ctx.tx, roomId, {
    fromStream: unthreaded,
    toStream: ctx.position,
    limit: MAX_SCANNED,
    backwards: true,
    now: ctx.now,
    filter: { types: NOTIFYING_TYPES },
    ...(unthreaded === 0 ? { viewer: { userId: ctx.userId } } : {}),
  });
  const main: UnreadCounts = { notification_count: 0, highlight_count: 0 };
  const threads: Record<string, UnreadCounts> = {};
  const settled = new Set<string>();
  for (let i = slice.events.length - 1; i >= 0; i--) {
    const { stream, event } = slice.events[i]!;
    const thread = rooms.threadOfContent(event.content);
    if (settled.has(thread)) continue;
    if (stream <= (read.get(thread) ?? 0) || event.sender === ctx.userId) {
      settled.add(thread);
      continue;
    }
    const notification = notificationFor(event, ctx.userId);
    if (!notification) continue;
    if (thread !== rooms.MAIN_THREAD && !threads[thread])
      threads[thread] = { notification_count: 0, highlight_count: 0 };
    const counts = thread === rooms.MAIN_THREAD ? main : threads[thread]!;
    if (counts.notification_count >= MAX_COUNTED) continue;
    counts.notification_count += 1;
    if (notification.highlight) counts.highlight_count += 1;
  }
  return { main, threads };
}
