// GET /_matrix/client/v3/rooms/{roomId}/context/{eventId}: an event with the
// events around it, and tokens to page on from either side.
import { notFound } from '../errors.ts';
import { queryInteger } from '../http/query.ts';
import type { RequestContext } from '../http/route.ts';
import type { ReadTx } from '../storage/port.ts';
import { eventAllowed } from '../events/filter-match.ts';
import { TIMELINE_START, makePaginationToken } from './pagination-token.ts';
import { clientEventsByIds, formatRows } from './client-event.ts';
import { filterParam, historyBound } from './history-access.ts';
import { MAX_PAGE, senderMembers } from './messages-route.ts';
import { callerOf, roomIdParam } from './route-helpers.ts';
import { stateIdsAtStream } from './state-read.ts';
import type { EventRow } from './tables.ts';
import { scanTimeline } from './timeline-read.ts';
import { VisibilityChecker } from './visibility.ts';
import { eventRow } from './rows.ts';

/**
 * 1. The event must be in the room's timeline and visible to the caller (404).
 * 2. `limit` (default 10) is split: half before, the rest after, filtered.
 * 3. start = the boundary before the oldest event returned; end = after the newest.
 * 4. state = the room state at the newest event returned (only the senders'
 *    member events with lazy_load_members).
 */
export async function context(tx: ReadTx, ctx: RequestContext, now: number): Promise<unknown> {
  const roomId = roomIdParam(ctx);
  const caller = callerOf(ctx);
  const limit = Math.min(queryInteger(ctx.req, 'limit', { min: 0 }) ?? 10, MAX_PAGE);
  const filter = filterParam(ctx);
  const bound = await historyBound(tx, roomId, caller.userId);
  const checker = await VisibilityChecker.create(tx, roomId, caller.userId);
  // 1.
  const row = await eventRow(tx, ctx.params.eventId ?? '');
  if (!row || row.room_id !== roomId || row.stream === undefined || !(await checker.canSee(row))) {
    throw notFound('Event not found');
  }
  // 2.
  const accept = async (r: EventRow) => eventAllowed(filter, r.pdu) && (await checker.canSee(r));
  const beforeLimit = Math.floor(limit / 2);
  const before = await scanTimeline(tx, roomId, {
    fromStream: TIMELINE_START,
    toStream: row.stream - 1,
    limit: beforeLimit,
    backwards: true,
    accept,
  });
  const after = await scanTimeline(tx, roomId, {
    fromStream: row.stream,
    toStream: Math.min(bound, Number.MAX_SAFE_INTEGER),
    limit: limit - beforeLimit,
    backwards: false,
    accept,
  });
  // 3.
  const oldest = before.rows[before.rows.length - 1] ?? row;
  const newest = after.rows[after.rows.length - 1] ?? row;
  // 4.
  const all = [...before.rows, row, ...after.rows];
  const state = filter?.lazy_load_members
    ? await senderMembers(tx, roomId, all, now)
    : await clientEventsByIds(tx, [...(await stateIdsAtStream(tx, roomId, newest.stream!)).values()], now);
  return {
    event: (await formatRows(tx, [row], now, caller))[0],
    events_before: await formatRows(tx, before.rows, now, caller),
    events_after: await formatRows(tx, after.rows, now, caller),
    start: makePaginationToken(oldest.stream! - 1),
    end: makePaginationToken(newest.stream!),
    state,
  };
}
