// unread_notifications of joined rooms. This server has no push rule
// evaluation yet, so it approximates the default rules (spec §13.13.1.4
// "Predefined Rules"): messages, encrypted events, stickers and call invites
// from others notify, except notices and edits; an explicit mention of the
// user (m.mentions, or their user id or localpart in the body) highlights.
// Counting starts after the user's read receipt, or after their own latest
// event if that is later (sending implies having read what came before).
//
// With `unread_thread_notifications` in the filter (spec: "Threaded read
// receipts"), each thread is counted apart: `unread_notifications` holds the
// main timeline's, `unread_thread_notifications` each thread's by root id,
// each starting after the later of the unthreaded receipt and that thread's
// own receipt. The walk looks at MAX_SCANNED events at most.
import * as rooms from '../rooms/api.ts';
import { readPositions, readUpTo } from './receipts.ts';
import type { SyncContext } from './sync-context.ts';

/** Counting stops here; clients show large counts as "99+" anyway. */
export const MAX_COUNTED = 100;

const NOTIFYING_TYPES = ['m.room.message', 'm.room.encrypted', 'm.sticker', 'm.call.invite'];

export interface UnreadCounts {
  notification_count: number;
  highlight_count: number;
}

type Content = Readonly<Record<string, unknown>>;

function notifies(event: rooms.ClientEvent): boolean {
  const content = event.content as Content;
  if (content.msgtype === 'm.notice') return false;
  const relation = content['m.relates_to'] as Content | undefined;
  return relation?.rel_type !== 'm.replace';
}

function highlights(event: rooms.ClientEvent, userId: string): boolean {
  const content = event.content as Content;
  const mentions = content['m.mentions'] as Content | undefined;
  if (mentions !== undefined) return Array.isArray(mentions.user_ids) && mentions.user_ids.includes(userId);
  if (typeof content.body !== 'string') return false;
  const body = content.body.toLowerCase();
  const localpart = userId.slice(1, userId.indexOf(':')).toLowerCase();
  return (
    body.includes(userId.toLowerCase()) || new RegExp(`(^|\\W)${escapeRegExp(localpart)}(\\W|$)`).test(body)
  );
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Events of the room in (from, context position], all of them (no filter), oldest first. */
export interface RecentEvents {
  readonly from: number;
  readonly entries: readonly rooms.TimelineEntry[];
}

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
      if (!NOTIFYING_TYPES.includes(event.type) || !notifies(event)) continue;
      this.counts.notification_count += 1;
      if (highlights(event, this.userId)) this.counts.highlight_count += 1;
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
  if (recent && (tally.take(recent.entries) || recent.from <= readPosition)) return tally.counts;
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
  return tally.counts;
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
    if (!notifies(event)) continue;
    if (thread !== rooms.MAIN_THREAD && !threads[thread])
      threads[thread] = { notification_count: 0, highlight_count: 0 };
    const counts = thread === rooms.MAIN_THREAD ? main : threads[thread]!;
    if (counts.notification_count >= MAX_COUNTED) continue;
    counts.notification_count += 1;
    if (highlights(event, ctx.userId)) counts.highlight_count += 1;
  }
  return { main, threads };
}
