// GET /_matrix/client/v3/rooms/{roomId}/messages: paging through a room's
// timeline in stream order (tokens: see api.ts). Paging back past the
// oldest event held asks room federation for the history before it
// (backfill, as Synapse does on demand) and reads again.
import { queryInteger } from '../http/query.ts';
import type { RequestContext } from '../http/route.ts';
import { stateKeyOf } from '../protocol.ts';
import type { ReadTx } from '../storage/port.ts';
import { eventAllowed } from '../events/filter-match.ts';
import { TIMELINE_START, makePaginationToken } from './pagination-token.ts';
import { type ClientEvent, clientEventsByIds, formatRows } from './client-event.ts';
import { dirParam, filterParam, historyBound, tokenParam } from './history-access.ts';
import { callerOf, roomIdParam } from './route-helpers.ts';
import { lastEventAtStream, stateIdsAtStream } from './state-read.ts';
import { historyEdge } from './persist-backfill.ts';
import type { RoomsContext } from './rooms-context.ts';
import { type EventRow, roomTableNames } from './tables.ts';
import { scanTimeline } from './timeline-read.ts';
import { VisibilityChecker } from './visibility.ts';

const MAX_STREAM = Number.MAX_SAFE_INTEGER;
export const MAX_PAGE = 1000;

/** /messages with backfill when the page reached the oldest event held (see the header). */
export async function messagesWithBackfill(rooms: RoomsContext, ctx: RequestContext): Promise<unknown> {
  const read = () => {
    const now = rooms.deps.clock.now();
    return rooms.deps.store.read(roomTableNames, (tx) => messagesPage(tx, ctx, now));
  };
  const page = await read();
  const federation = rooms.federation();
  if (page.wantsHistory === undefined || !federation) return page.body;
  // Read again even when this call placed nothing: a backfill running when
  // it was asked (the one after a join) may have placed what it wanted.
  await federation.backfill(roomIdParam(ctx), page.wantsHistory).catch((err) => {
    rooms.deps.logger?.info('backfill for /messages failed', { error: String(err) });
  });
  return (await read()).body;
}

interface MessagesPage {
  readonly body: unknown;
  /** How many more events the page could take, when it reached the edge of the history held. */
  readonly wantsHistory?: number;
}

/**
 * 1. dir=b from `from` (default: the newest event): events <= from, newest
 *    first, down to `to` (exclusive); dir=f: events > from, oldest first, up
 *    to `to` (inclusive).
 * 2. A user who left sees nothing after leaving; history visibility and the
 *    filter drop events without using up the limit.
 * 3. `end` continues in the same direction and is omitted when nothing is left.
 * 4. With lazy_load_members, `state` holds the senders' member events.
 * 5. A page backwards that reached the oldest event held, with history
 *    before it to ask peers for, says so (messagesWithBackfill).
 */
async function messagesPage(tx: ReadTx, ctx: RequestContext, now: number): Promise<MessagesPage> {
  const roomId = roomIdParam(ctx);
  const caller = callerOf(ctx);
  const dir = dirParam(ctx);
  const from = tokenParam(ctx, 'from');
  const to = tokenParam(ctx, 'to');
  const limit = Math.min(queryInteger(ctx.req, 'limit', { min: 0 }) ?? 10, MAX_PAGE);
  const filter = filterParam(ctx);
  // 2.
  const bound = Math.min(await historyBound(tx, roomId, caller.userId), MAX_STREAM);
  const checker = await VisibilityChecker.create(tx, roomId, caller.userId);
  const accept = async (row: EventRow) => eventAllowed(filter, row.pdu) && (await checker.canSee(row));
  // 1.
  const start =
    from ?? (dir === 'b' ? ((await lastEventAtStream(tx, roomId, MAX_STREAM))?.stream ?? 0) : TIMELINE_START);
  const range =
    dir === 'b'
      ? { fromStream: to ?? TIMELINE_START, toStream: Math.min(start, bound) }
      : { fromStream: start, toStream: Math.min(to ?? MAX_STREAM, bound) };
  const { rows, more } = await scanTimeline(tx, roomId, { ...range, limit, backwards: dir === 'b', accept });
  const chunk = await formatRows(tx, rows, now, caller);
  const body: { chunk: ClientEvent[]; start: string; end?: string; state?: ClientEvent[] } = {
    chunk,
    start: makePaginationToken(start),
  };
  // 3.
  const last = rows[rows.length - 1];
  if (limit === 0) body.end = body.start;
  else if (more && last) body.end = makePaginationToken(dir === 'b' ? last.stream! - 1 : last.stream!);
  // 4.
  if (filter?.lazy_load_members && rows.length > 0) body.state = await senderMembers(tx, roomId, rows, now);
  // 5. Backwards to the oldest event held, with room left on the page.
  const reachedEdge = dir === 'b' && to === undefined && !more && rows.length < limit;
  if (reachedEdge && (await historyEdge(tx, roomId)).ids.length > 0)
    return { body, wantsHistory: limit - rows.length };
  return { body };
}

/** Member events of the senders of `rows`, as of the newest of them. */
export async function senderMembers(
  tx: ReadTx,
  roomId: string,
  rows: readonly EventRow[],
  now: number,
): Promise<ClientEvent[]> {
  const newest = Math.max(...rows.map((r) => r.stream ?? TIMELINE_START));
  const state = await stateIdsAtStream(tx, roomId, newest);
  const senders = new Set(rows.map((r) => r.sender));
  const ids = [...senders]
    .map((s) => state.get(stateKeyOf('m.room.member', s)))
    .filter((id) => id !== undefined);
  return clientEventsByIds(tx, ids, now);
}
