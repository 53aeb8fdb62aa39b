// GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]].
import { notFound } from '../errors.ts';
import { queryInteger } from '../http/query.ts';
import type { RequestContext } from '../http/route.ts';
import type { ReadTx } from '../storage/port.ts';
import { TIMELINE_START, makePaginationToken } from './pagination-token.ts';
import { formatRows } from './client-event.ts';
import { dirParam, historyBound, tokenParam } from './history-access.ts';
import { MAX_PAGE } from './messages-route.ts';
import { callerOf, roomIdParam } from './route-helpers.ts';
import { scanStreamIndex } from './timeline-read.ts';
import { VisibilityChecker } from './visibility.ts';
import { eventRow } from './rows.ts';

const MAX_STREAM = Number.MAX_SAFE_INTEGER;

/**
 * 1. The parent must be a visible event of the room (404 otherwise).
 * 2. Children by stream order (dir b by default: newest first), of the
 *    relation type and event type when given, visible to the caller.
 * 3. next_batch continues in the same direction; prev_batch is `from`.
 */
export async function relations(tx: ReadTx, ctx: RequestContext, now: number): Promise<unknown> {
  const roomId = roomIdParam(ctx);
  const caller = callerOf(ctx);
  const bound = Math.min(await historyBound(tx, roomId, caller.userId), MAX_STREAM);
  const checker = await VisibilityChecker.create(tx, roomId, caller.userId);
  // 1.
  const parentId = ctx.params.eventId ?? '';
  const parent = await eventRow(tx, parentId);
  if (!parent || parent.room_id !== roomId || !(await checker.canSee(parent)))
    throw notFound('Event not found');
  // 2.
  const dir = dirParam(ctx, 'b');
  const from = tokenParam(ctx, 'from');
  const to = tokenParam(ctx, 'to');
  const limit = Math.min(queryInteger(ctx.req, 'limit', { min: 1 }) ?? 50, MAX_PAGE);
  const { relType, eventType } = ctx.params;
  const start = from ?? (dir === 'b' ? bound : TIMELINE_START);
  const range =
    dir === 'b'
      ? { fromStream: to ?? TIMELINE_START, toStream: Math.min(start, bound) }
      : { fromStream: start, toStream: Math.min(to ?? MAX_STREAM, bound) };
  const { rows, more } = await scanStreamIndex(
    tx,
    relType === undefined ? 'relation' : 'relation_type',
    relType === undefined ? [parentId] : [parentId, relType],
    {
      ...range,
      limit,
      backwards: dir === 'b',
      accept: async (row) =>
        row.room_id === roomId && (eventType === undefined || row.type === eventType) && checker.canSee(row),
    },
  );
  // 3.
  const body: { chunk: unknown[]; next_batch?: string; prev_batch?: string } = {
    chunk: await formatRows(tx, rows, now, caller),
  };
  const last = rows[rows.length - 1];
  if (more && last) body.next_batch = makePaginationToken(dir === 'b' ? last.stream! - 1 : last.stream!);
  if (from !== undefined) body.prev_batch = makePaginationToken(from);
  return body;
}
