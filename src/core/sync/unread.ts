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

/**
 * The counts last computed per user and room: up to which position, from
 * which read position; per-thread counts (their own key) keep their walk too.
 */
export type UnreadMemo = BoundedCache<
  string,
  { position: number; readPosition: number; counts: UnreadCounts; threads?: ThreadState }
>;

/** Rooms × users whose last counts are kept (a few hundred bytes each). */
const MEMO_ENTRIES = 10_000;

export const createUnreadMemo = (): UnreadMemo => new BoundedCache(MEMO_ENTRIES);

/** Counts events newest first until the user's own event, the read position or the cap. */
class Tally {
  readonly counts: UnreadCounts = { notification_count: 0, highlight_count: 0 };
  private readonly userId: string;
  readonly readPosition: number;

  constructor(userId: string, readPosition: number) {
    this.userId = userId;
    this.readPosition = readPosition;
  }

  /** Takes entries (oldest first); true when counting is over. */
  take(entries: readonly rooms.TimelineEntry[]): boolean {
    for (let i = entries.length - 1; i >= 0; i--) {
      const { stream, event } = entries[i]!;
      if (stream <= this.readPosition) return true;
      // Only what the storage walk reads (NOTIFYING_TYPES) counts or, the
      // user's own, ends the count: their own reaction does not mark the room read.
      if (!NOTIFYING_TYPES.includes(event.type)) continue;
      if (event.sender === this.userId) return true;
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
 * The counts of a room from those of an earlier sync (`known`) and the
 * events after it (`recent`, whose tally is `fresh`), or undefined when they
 * cannot be added. The walk over what came before `recent` gave `known` if it
 * ended at or after where `recent` begins and before its first event, from
 * the same read position: those events did not change since, unless a
 * redaction among the new ones (a redacted mention no longer highlights)
 * makes it differ. Past the cap the walk keeps the newest MAX_COUNTED: the
 * sum is the cap, and its highlights are known only when the earlier counts
 * had none.
 */
function addedTo(
  known: { position: number; readPosition: number; counts: UnreadCounts },
  recent: RecentEvents,
  readPosition: number,
  fresh: UnreadCounts,
): UnreadCounts | undefined {
  const first = recent.entries[0]?.stream ?? Number.MAX_SAFE_INTEGER;
  if (known.position < recent.from || known.position >= first || known.readPosition !== readPosition)
    return undefined;
  if (recent.entries.some((e) => e.event.type === 'm.room.redaction')) return undefined;
  return cappedSum(known.counts, fresh);
}

/**
 * Counts of earlier events (`known`) plus those of newer ones (`fresh`), as
 * a walk from the newest would give them: past the cap it keeps the newest
 * MAX_COUNTED, whose highlights are known only when the earlier counts had
 * none (undefined otherwise).
 */
function cappedSum(known: UnreadCounts, fresh: UnreadCounts): UnreadCounts | undefined {
  const sum = known.notification_count + fresh.notification_count;
  if (sum < MAX_COUNTED)
    return { notification_count: sum, highlight_count: known.highlight_count + fresh.highlight_count };
  if (known.highlight_count > 0) return undefined;
  return { notification_count: MAX_COUNTED, highlight_count: fresh.highlight_count };
}

/**
 * The counts from `recent` alone when they settle them (the user's own
 * event, the read position or the cap among them, or nothing before them to
 * count), else added to `known`; undefined when neither.
 */
function fromRecent(
  tally: Tally,
  recent: RecentEvents,
  known: { position: number; readPosition: number; counts: UnreadCounts } | undefined,
): UnreadCounts | undefined {
  if (tally.take(recent.entries) || recent.from <= tally.readPosition) return tally.counts;
  return known && addedTo(known, recent, tally.readPosition, tally.counts);
}

/**
 * The counts of a room from the user's last counts (unread.ts memo) and the
 * events after them, with no storage read (sync-view.ts), where nothing that
 * moves the user's read position committed since `recent.from`; undefined
 * when the memo does not hold counts at `recent.from` or they cannot be added.
 */
export function countsFromMemo(
  memo: UnreadMemo,
  userId: string,
  roomId: string,
  recent: RecentEvents,
): { counts: UnreadCounts; readPosition: number } | undefined {
  const known = memo.get(memoKey(userId, roomId));
  // Only counts at `recent.from` are known to have the read position of now.
  if (!known || known.position !== recent.from) return undefined;
  const counts = fromRecent(new Tally(userId, known.readPosition), recent, known);
  return counts && { counts, readPosition: known.readPosition };
}

/** Keeps the counts of a room at `position` for the user's next sync. */
export function keepCounts(
  memo: UnreadMemo,
  userId: string,
  roomId: string,
  entry: { position: number; readPosition: number; counts: UnreadCounts },
): void {
  memo.set(memoKey(userId, roomId), { ...entry, counts: { ...entry.counts } });
}

const memoKey = (userId: string, roomId: string) => `${userId}\u0000${roomId}`;

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
  const key = memoKey(ctx.userId, roomId);
  const keep = (counts: UnreadCounts) => {
    ctx.unread?.set(key, { position: ctx.position, readPosition, counts: { ...counts } });
    return counts;
  };
  const tally = new Tally(ctx.userId, readPosition);
  const settled = recent && fromRecent(tally, recent, ctx.unread?.get(key));
  if (settled) return keep(settled);
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

/**
 * What a per-thread walk found: counts by thread (the main timeline's under
 * MAIN_THREAD), threads it stopped in, and per thread how many of the events
 * it looked at are older than the oldest it counted (or fewer).
 */
interface ThreadWalk {
  readonly counts: Map<string, UnreadCounts>;
  readonly settled: Set<string>;
  readonly below: Map<string, number>;
}

const emptyWalk = (): ThreadWalk => ({ counts: new Map(), settled: new Set(), below: new Map() });

/**
 * What the memo keeps of a per-thread count besides the main counts, to add later events to it.
 * Not the threads the walk stopped in: later events are walked apart (a thread they settle counts
 * only them), and a thread settled before counts only what came after its stop.
 */
export interface ThreadState {
  /** The read position of each thread it started from (readPositions; not changed after). */
  readonly reads: ReadonlyMap<string, number>;
  readonly walk: Omit<ThreadWalk, 'settled'>;
  /** Events the walk looked at (at most MAX_SCANNED). */
  readonly scanned: number;
}

/** Walks entries (oldest first) newest first, per thread (see the header); `older` events came before them. */
function walkThreads(
  walk: ThreadWalk,
  entries: readonly rooms.TimelineEntry[],
  userId: string,
  read: ReadonlyMap<string, number>,
  older = 0,
): void {
  for (let i = entries.length - 1; i >= 0; i--) {
    const { stream, event } = entries[i]!;
    const thread = rooms.threadOfContent(event.content);
    if (walk.settled.has(thread)) continue;
    if (stream <= (read.get(thread) ?? 0) || event.sender === userId) {
      walk.settled.add(thread);
      continue;
    }
    const notification = notificationFor(event, userId);
    if (!notification) continue;
    const counts = walk.counts.get(thread) ?? { notification_count: 0, highlight_count: 0 };
    walk.counts.set(thread, counts);
    if (counts.notification_count >= MAX_COUNTED) continue;
    counts.notification_count += 1;
    if (notification.highlight) counts.highlight_count += 1;
    walk.below.set(thread, older + i);
  }
}

function threadedOf(walk: Pick<ThreadWalk, 'counts'>): ThreadedUnreadCounts {
  const threads: Record<string, UnreadCounts> = {};
  for (const [thread, counts] of walk.counts)
    if (thread !== rooms.MAIN_THREAD) threads[thread] = { ...counts };
  const main = walk.counts.get(rooms.MAIN_THREAD);
  return { main: main ? { ...main } : { notification_count: 0, highlight_count: 0 }, threads };
}

const threadKey = (userId: string, roomId: string) => `${memoKey(userId, roomId)}\u0000threads`;

/** Counts per thread (see the header) at the context's position, kept for the user's next sync. */
export async function threadedUnreadCounts(ctx: SyncContext, roomId: string): Promise<ThreadedUnreadCounts> {
  const { unthreaded, threads: reads } = await readPositions(ctx.tx, roomId, ctx.userId);
  const slice = await rooms.timelineSlice(ctx.tx, roomId, {
    fromStream: unthreaded,
    toStream: ctx.position,
    limit: MAX_SCANNED,
    backwards: true,
    now: ctx.now,
    filter: { types: NOTIFYING_TYPES },
    ...(unthreaded === 0 ? { viewer: { userId: ctx.userId } } : {}),
  });
  const walk = emptyWalk();
  walkThreads(walk, slice.events, ctx.userId, reads);
  const result = threadedOf(walk);
  ctx.unread?.set(threadKey(ctx.userId, roomId), {
    position: ctx.position,
    readPosition: unthreaded,
    counts: result.main,
    threads: { reads, walk: { counts: walk.counts, below: walk.below }, scanned: slice.events.length },
  });
  return result;
}

/**
 * Per-thread counts from the user's last ones (kept at `recent.from`) and the
 * events after them, with no storage read (sync-view.ts), where nothing that
 * moves the user's read positions committed since; undefined when they cannot
 * be added. The walk looks at the newest MAX_SCANNED events: new ones push
 * the oldest out of it, which changes nothing when every thread's counted
 * events lie after them (ThreadWalk.below).
 * A thread the new events settle (the user's own event) counts only them; a
 * thread past the cap adds as unread counts do (cappedSum).
 */
export function threadedFromMemo(
  memo: UnreadMemo,
  userId: string,
  roomId: string,
  recent: RecentEvents,
  position: number,
): { result: ThreadedUnreadCounts; keep: () => void } | undefined {
  const key = threadKey(userId, roomId);
  const known = memo.get(key);
  const state = known?.threads;
  if (!known || !state || known.position !== recent.from) return undefined;
  // The storage walk reads only NOTIFYING_TYPES: the user's own reaction settles no thread there, nor here.
  const notifying = recent.entries.filter((e) => NOTIFYING_TYPES.includes(e.event.type));
  // The oldest events the window no longer holds with the new ones.
  const dropped = Math.max(0, state.scanned + notifying.length - MAX_SCANNED);
  if (dropped > state.scanned) return undefined;
  const fresh = emptyWalk();
  walkThreads(fresh, notifying, userId, state.reads, state.scanned - dropped);
  const walk: ThreadState['walk'] = { counts: new Map(), below: new Map() };
  for (const thread of new Set([...state.walk.counts.keys(), ...fresh.counts.keys()])) {
    const f = fresh.counts.get(thread);
    const k = state.walk.counts.get(thread);
    if (fresh.settled.has(thread) || !k) {
      if (f) {
        walk.counts.set(thread, { ...f });
        walk.below.set(thread, fresh.below.get(thread)!);
      }
      continue;
    }
    const added = f ?? { notification_count: 0, highlight_count: 0 };
    // Past the cap the oldest counted events stop counting (the walk counts the newest
    // MAX_COUNTED), and the oldest still counted lies above each of them: at least
    // that many places above the oldest counted before. Without this a room unread
    // past the cap (a user away while a busy room goes on) read its 500 events again
    // from storage every 400 or so that came in (`extension-ingest`: every tenth
    // transaction of 50, a read of about 40 ms the next write waited behind).
    const uncounted = Math.max(0, k.notification_count + added.notification_count - MAX_COUNTED);
    // A counted event pushed out of the window would no longer count.
    const below = state.walk.below.get(thread)! - dropped + uncounted;
    if (below < 0) return undefined;
    const sum = cappedSum(k, added);
    if (!sum) return undefined;
    walk.counts.set(thread, sum);
    walk.below.set(thread, below);
  }
  const result = threadedOf(walk);
  const scanned = Math.min(MAX_SCANNED, state.scanned + notifying.length);
  const keep = () =>
    memo.set(key, {
      position,
      readPosition: known.readPosition,
      counts: result.main,
      threads: { reads: state.reads, walk, scanned },
    });
  return { result, keep };
}

/**
 * Moves the user's kept counts of rooms that had nothing new in (since,
 * position] (no event, no receipt: their counts did not change) on to
 * `position`, so that the next sync adds to them.
 */
export function carryCounts(
  memo: UnreadMemo,
  userId: string,
  roomIds: Iterable<string>,
  since: number,
  position: number,
): void {
  for (const roomId of roomIds) {
    for (const key of [memoKey(userId, roomId), threadKey(userId, roomId)]) {
      const known = memo.get(key);
      if (known?.position === since) memo.set(key, { ...known, position });
    }
  }
}
