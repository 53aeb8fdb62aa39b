// Who may page through a room's history, and up to where; and the query
// parameters the history endpoints share.
import { forbidden, invalidParam, missingParam } from '../errors.ts';
import { queryParam } from '../http/query.ts';
import type { RequestContext } from '../http/route.ts';
import type { ReadTx } from '../storage/port.ts';
import { type RoomEventFilter, parseRoomEventFilter } from '../events/filter.ts';
import { parseStreamToken } from './pagination-token.ts';
import { currentHistoryVisibility, requireRoom } from './route-helpers.ts';
import { membersTable } from './tables.ts';

/**
 * The highest stream position the user may page to (Infinity: no bound).
 * Anyone with a membership, or anyone at all in a world-readable room, may
 * page (history visibility then filters each event); users who left or were
 * banned see nothing after their member event. Others get 403.
 */
export async function historyBound(tx: ReadTx, roomId: string, userId: string): Promise<number> {
  await requireRoom(tx, roomId);
  const member = await membersTable.get(tx, [roomId, userId]);
  if (member?.membership === 'leave' || member?.membership === 'ban') return member.stream;
  if (member || (await currentHistoryVisibility(tx, roomId)) === 'world_readable')
    return Number.POSITIVE_INFINITY;
  throw forbidden(`${userId} is not in room ${roomId}`);
}

/** A pagination token query parameter as a stream position (400 M_INVALID_PARAM for junk). */
export function tokenParam(ctx: RequestContext, name: string): number | undefined {
  const raw = queryParam(ctx.req, name);
  if (raw === undefined) return undefined;
  const stream = parseStreamToken(raw);
  if (stream === undefined) throw invalidParam(`${name} is not a valid pagination token`);
  return stream;
}

/** The `filter` query parameter: a RoomEventFilter as JSON. */
export function filterParam(ctx: RequestContext): RoomEventFilter | undefined {
  const raw = queryParam(ctx.req, 'filter');
  if (raw === undefined || raw === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalidParam('filter is not valid JSON');
  }
  return parseRoomEventFilter(parsed);
}

/** `dir` as 'b' or 'f' (required unless a default is given). */
export function dirParam(ctx: RequestContext, fallback?: 'b' | 'f'): 'b' | 'f' {
  const raw = queryParam(ctx.req, 'dir') ?? fallback;
  if (raw === undefined) throw missingParam('dir is required (b or f)');
  if (raw !== 'b' && raw !== 'f') throw invalidParam('dir must be b or f');
  return raw;
}
