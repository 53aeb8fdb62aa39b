// GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]].
import { notFound } from '../errors.ts';
import { queryBoolean, queryInteger } from '../http/query.ts';
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
import { type EventRow, eventsTable } from './tables.ts';

const MAX_STREAM = Number.MAX_SAFE_INTEGER;

/** With `recurse`, relations of relations are followed this deep (Synapse's limit too). */
const MAX_DEPTH = 3;
/** ...and at most this many events are gathered before paging. */
const MAX_RECURSED = 2000;

/**
 * 1. The parent must be a visible event of the room (404 otherwise).
 * 2. Children by stream order (dir b by default: newest first), of the
 *    relation type and event type when given, visible to the caller; with
 *    `recurse`, events relating to those too, up to MAX_DEPTH
 *    (`recursion_depth` in the answer).
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
  const accept = async (row: EventRow) =>
    row.room_id === roomId && (eventType === undefined || row.type === eventType) && checker.canSee(row);
  if (queryBoolean(ctx.req, 'recurse')) {
    const found = await descendants(tx, parentId, relType, range);
    const page: EventRow[] = [];
    let more = false;
    for (const row of dir === 'b' ? found.rows.reverse() : found.rows) {
      if (!(await accept(row))) continue;
      if (page.length === limit) {
        more = true;
        break;
      }
      page.push(row);
    }
    return { ...(await relationsPage(tx, page, more, dir, from, now, caller)), recursion_depth: found.depth };
  }
  const { rows, more } = await scanStreamIndex(
    tx,
    relType === undefined ? 'relation' : 'relation_type',
    relType === undefined ? [parentId] : [parentId, relType],
    {
      ...range,
      limit,
      backwards: dir === 'b',
      accept,
    },
  );
  return relationsPage(tx, rows, more, dir, from, now, caller);
}

/** 3. */
async function relationsPage(
  tx: ReadTx,
  rows: readonly EventRow[],
  more: boolean,
  dir: 'b' | 'f',
  from: number | undefined,
  now: number,
  caller: { userId: string; deviceId?: string },
) {
  const body: { chunk: unknown[]; next_batch?: string; prev_batch?: string } = {
    chunk: await formatRows(tx, rows, now, caller),
  };
  const last = rows[rows.length - 1];
  if (more && last) body.next_batch = makePaginationToken(dir === 'b' ? last.stream! - 1 : last.stream!);
  if (from !== undefined) body.prev_batch = makePaginationToken(from);
  return body;
}

/**
 * Events relating to `parentId` directly or through other relations (of
 * `relType` at each step when given), in the stream range, oldest first;
 * `depth` is how deep the walk went.
 */
async function descendants(
  tx: ReadTx,
  parentId: string,
  relType: string | undefined,
  range: { fromStream: number; toStream: number },
): Promise<{ rows: EventRow[]; depth: number }> {
  const found = new Map<string, EventRow>();
  let level = [parentId];
  let depth = 0;
  while (level.length > 0 && depth < MAX_DEPTH && found.size < MAX_RECURSED) {
    depth += 1;
    const next: string[] = [];
    for (const id of level) {
      const prefix = relType === undefined ? [id] : [id, relType];
      const children = await eventsTable.query(tx, {
        index: relType === undefined ? 'relation' : 'relation_type',
        range: { lower: [...prefix, TIMELINE_START], upper: [...prefix, MAX_STREAM] },
        limit: MAX_RECURSED - found.size,
      });
      for (const child of children) {
        if (found.has(child.event_id)) continue;
        found.set(child.event_id, child);
        next.push(child.event_id);
      }
    }
    level = next;
  }
  const rows = [...found.values()]
    .filter((r) => r.stream! > range.fromStream && r.stream! <= range.toStream)
    .sort((x, y) => x.stream! - y.stream!);
  return { rows, depth: Math.max(1, level.length === 0 ? depth - 1 : depth) };
}
