// GET /_matrix/client/v3/events (spec: "Peeking", and the deprecated events
// stream it extends): new timeline events after `from`, waiting up to
// `timeout` for some. With `room_id` it peeks into one room: any user may
// peek into a world-readable room (history visibility applies to each event),
// members read their own rooms, others get 403 (404 for a room not held
// here). Without it, the events of every room the user is joined to.
// 1. `from` is a token of this API, /sync or /messages (default: now, so
//    the call waits for the next event).
// 2. At most MAX_EVENTS events, oldest first; `end` is the position after
//    the last one returned (or the current one when nothing was left out).
import { queryInteger, queryParam } from '../http/query.ts';
import { invalidParam } from '../errors.ts';
import { requireRoomId } from '../http/matrix-ids.ts';
import type { HandlerResult, RequestContext } from '../http/route.ts';
import * as rooms from '../rooms/api.ts';
import type { ReadTx } from '../storage/port.ts';
import { currentStreamPosition, STREAM_TABLE } from '../storage/stream.ts';
import { longPoll } from './long-poll.ts';
import type { SyncDeps } from './routes.ts';

const MAX_EVENTS = 100;
/** Synapse's default for this endpoint. */
const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_TIMEOUT_MS = 60_000;

interface Page {
  readonly start: string;
  readonly end: string;
  readonly chunk: rooms.ClientEvent[];
}

export async function getEvents(deps: SyncDeps, ctx: RequestContext): Promise<HandlerResult> {
  const caller = ctx.caller!;
  const rawRoom = queryParam(ctx.req, 'room_id');
  const roomId = rawRoom === undefined ? undefined : requireRoomId(rawRoom);
  const rawFrom = queryParam(ctx.req, 'from');
  const from = rawFrom === undefined ? undefined : rooms.parsePaginationToken(rawFrom);
  if (rawFrom !== undefined && from === undefined) throw invalidParam('from is not a valid token');
  const timeoutMs = Math.min(
    queryInteger(ctx.req, 'timeout', { min: 0 }) ?? DEFAULT_TIMEOUT_MS,
    MAX_TIMEOUT_MS,
  );
  const tables = [STREAM_TABLE, ...rooms.roomTableNames];
  // 1. Where "now" is, and whether the user may read the room at all, before waiting.
  const start =
    from ??
    (await deps.store.read(tables, async (tx) => {
      if (roomId !== undefined) await rooms.readableUpTo(tx, roomId, caller.userId);
      return currentStreamPosition(tx);
    }));
  let noticesBefore = deps.notifier.notices;
  const compute = async () => {
    noticesBefore = deps.notifier.notices;
    const now = deps.clock.now();
    const { page, roomIds } = await deps.store.read(tables, async (tx) => {
      const roomIds = roomId !== undefined ? [roomId] : await rooms.joinedRoomIds(tx, caller.userId);
      return { page: await eventsAfter(tx, roomIds, start, caller, now), roomIds };
    });
    return { result: page, empty: page.chunk.length === 0, rooms: new Set(roomIds) };
  };
  const page = await longPoll<Page>({
    clock: deps.clock,
    notifier: deps.notifier,
    userId: caller.userId,
    timeoutMs,
    ...(ctx.req.closed ? { closed: ctx.req.closed } : {}),
    compute,
    changedSince: async () => deps.notifier.notices !== noticesBefore,
  });
  return { body: page };
}

/** 2. The events of `roomIds` after stream position `start` that the caller may see. */
async function eventsAfter(
  tx: ReadTx,
  roomIds: readonly string[],
  start: number,
  viewer: rooms.Viewer,
  now: number,
): Promise<Page> {
  const position = await currentStreamPosition(tx);
  const found: rooms.TimelineEntry[] = [];
  // A room with more than a page: nothing after its last event returned may be skipped.
  let cap = Number.POSITIVE_INFINITY;
  for (const roomId of roomIds) {
    const bound = Math.min(await rooms.readableUpTo(tx, roomId, viewer.userId), position);
    if (bound <= start) continue;
    const slice = await rooms.timelineSlice(tx, roomId, {
      fromStream: start,
      toStream: bound,
      limit: MAX_EVENTS,
      now,
      viewer,
    });
    found.push(...slice.events);
    const lastOfRoom = slice.events[slice.events.length - 1];
    if (slice.limited && lastOfRoom) cap = Math.min(cap, lastOfRoom.stream);
  }
  const within = found.filter((entry) => entry.stream <= cap).sort((a, b) => a.stream - b.stream);
  const kept = within.slice(0, MAX_EVENTS);
  const cut = cap !== Number.POSITIVE_INFINITY || within.length > kept.length;
  const last = kept[kept.length - 1];
  const end = cut && last ? last.stream : Math.max(position, start);
  return {
    start: rooms.makePaginationToken(start),
    end: rooms.makePaginationToken(end),
    chunk: kept.map((entry) => entry.event),
  };
}
