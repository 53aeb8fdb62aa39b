// GET /_matrix/client/v1/rooms/{roomId}/threads?include=all|participated&from=&limit=
// (spec: client-server API "Threading", listing threads): the room's thread
// roots the caller may see, most recent activity first, each with its
// bundled `m.thread` aggregation.
import { invalidParam } from '../errors.ts';
import { queryInteger, queryParam } from '../http/query.ts';
import type { RequestContext } from '../http/route.ts';
import type { ReadTx } from '../storage/port.ts';
import { formatRows } from './client-event.ts';
import { historyBound, tokenParam } from './history-access.ts';
import { makePaginationToken } from './pagination-token.ts';
import { callerOf, roomIdParam } from './route-helpers.ts';
import { type EventRow, eventsTable } from './tables.ts';
import { THREAD, threadReplies, threadSummary } from './threads.ts';
import { VisibilityChecker } from './visibility.ts';

const MAX_LIMIT = 100;
/** Timeline events looked at per request: a room with few threads answers a partial page and a token. */
const MAX_SCANNED = 5000;
const BATCH = 200;

/**
 * 1. Walk the room's timeline newest first from `from` (the caller's history
 *    bound at most), looking at thread replies.
 * 2. A reply that is its thread's latest places the thread there (a thread is
 *    listed once, at its latest activity); the root must be visible, and with
 *    include=participated the caller must have sent it or a reply.
 * 3. next_batch continues below the last reply looked at, while the walk did
 *    not reach the room's start.
 */
export async function threads(tx: ReadTx, ctx: RequestContext, now: number): Promise<unknown> {
  const roomId = roomIdParam(ctx);
  const caller = callerOf(ctx);
  const include = queryParam(ctx.req, 'include') ?? 'all';
  if (include !== 'all' && include !== 'participated')
    throw invalidParam('include must be all or participated');
  const limit = Math.min(queryInteger(ctx.req, 'limit', { min: 1 }) ?? 20, MAX_LIMIT);
  const bound = await historyBound(tx, roomId, caller.userId);
  const checker = await VisibilityChecker.create(tx, roomId, caller.userId);
  // 1.
  let high = Math.min(tokenParam(ctx, 'from') ?? Number.MAX_SAFE_INTEGER, bound);
  const roots: EventRow[] = [];
  let scanned = 0;
  let exhausted = false;
  while (roots.length < limit && scanned < MAX_SCANNED) {
    const batch = await eventsTable.query(tx, {
      index: 'room_stream',
      range: { lower: [roomId, 0], lowerOpen: true, upper: [roomId, high] },
      reverse: true,
      limit: BATCH,
    });
    for (const reply of batch) {
      scanned += 1;
      high = reply.stream! - 1;
      // 2.
      const root = reply.rel_type === THREAD ? await latestThreadAt(tx, reply) : undefined;
      if (root && (await checker.canSee(root))) {
        const mine = include === 'all' || (await threadSummary(tx, root, caller.userId))?.participated;
        if (mine) roots.push(root);
      }
      if (roots.length === limit) break;
    }
    if (batch.length < BATCH && roots.length < limit) {
      exhausted = true;
      break;
    }
  }
  // 3.
  const body: { chunk: unknown[]; next_batch?: string } = { chunk: await formatRows(tx, roots, now, caller) };
  if (!exhausted && high > 0) body.next_batch = makePaginationToken(high);
  return body;
}

/** The root of `reply`'s thread when `reply` is that thread's latest reply. */
async function latestThreadAt(tx: ReadTx, reply: EventRow): Promise<EventRow | undefined> {
  const [latest] = await eventsTable.query(tx, {
    ...threadReplies(reply.relates_to!),
    reverse: true,
    limit: 1,
  });
  if (latest?.event_id !== reply.event_id) return undefined;
  const root = await eventsTable.get(tx, reply.relates_to!);
  return root?.room_id === reply.room_id ? root : undefined;
}
