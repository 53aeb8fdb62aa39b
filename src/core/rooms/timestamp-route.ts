// GET /_matrix/client/v1/rooms/{roomId}/timestamp_to_event: the event
// closest to a time. When the answer may lie in history this server does not
// hold yet (a room joined over federation, not backfilled that far), the
// room's other servers are asked (federation timestamp_to_event) and the
// history up to the event they name is backfilled, as Synapse does, so the
// client can go on with /context on it.
import { notFound } from '../errors.ts';
import { queryInteger, requireQueryParam } from '../http/query.ts';
import type { RequestContext, Route } from '../http/route.ts';
import type { ReadTx } from '../storage/port.ts';
import { dirParam, historyBound } from './history-access.ts';
import { historyEdge } from './persist-backfill.ts';
import { callerOf, roomIdParam } from './route-helpers.ts';
import type { RoomsContext } from './rooms-context.ts';
import { eventRow, eventsByTime } from './rows.ts';
import { type EventRow, roomTableNames } from './tables.ts';
import { VisibilityChecker } from './visibility.ts';

const MAX_TS = Number.MAX_SAFE_INTEGER;
const BATCH = 100;

export interface TimedEvent {
  readonly event_id: string;
  readonly origin_server_ts: number;
}

/**
 * The timeline event closest to `ts` in direction `dir` that `accept`
 * takes: the first at or after it (f), or the last at or before it (b).
 */
export async function closestEvent(
  tx: ReadTx,
  roomId: string,
  ts: number,
  dir: 'b' | 'f',
  accept: (row: EventRow) => Promise<boolean> | boolean,
): Promise<TimedEvent | undefined> {
  const [from, to] = dir === 'f' ? [ts, MAX_TS] : [0, ts];
  for (let offset = 0; ; offset += BATCH) {
    const batch = await eventsByTime(tx, roomId, from, to, dir === 'b', offset + BATCH);
    for (const row of batch.slice(offset)) {
      if (row.stream !== undefined && (await accept(row)))
        return { event_id: row.event_id, origin_server_ts: row.ts };
    }
    if (batch.length < offset + BATCH) return undefined;
  }
}

/** The local answer, and whether history we lack may hold a better one. */
async function localAnswer(tx: ReadTx, roomId: string, userId: string, ts: number, dir: 'b' | 'f') {
  const bound = await historyBound(tx, roomId, userId);
  const checker = await VisibilityChecker.create(tx, roomId, userId);
  const visible = async (row: EventRow) => row.stream! <= bound && (await checker.canSee(row));
  const found = await closestEvent(tx, roomId, ts, dir, visible);
  // What we hold is complete from the oldest timeline event on.
  const edge = await historyEdge(tx, roomId);
  const lacking = edge.ids.length > 0 && (edge.oldestTs === undefined || ts < edge.oldestTs);
  return { found, lacking };
}

/** Whether `eventId` is in the room's timeline and the user may see it. */
async function visibleHere(tx: ReadTx, roomId: string, userId: string, eventId: string): Promise<boolean> {
  const row = await eventRow(tx, eventId);
  if (!row || row.room_id !== roomId || row.stream === undefined) return false;
  if (row.stream > (await historyBound(tx, roomId, userId))) return false;
  return (await VisibilityChecker.create(tx, roomId, userId)).canSee(row);
}

/** Backfill rounds spent reaching an event another server named. */
const MAX_ROUNDS = 10;

async function timestampToEvent(rooms: RoomsContext, ctx: RequestContext): Promise<TimedEvent> {
  const roomId = roomIdParam(ctx);
  const { userId } = callerOf(ctx);
  const ts = queryInteger(ctx.req, 'ts', { min: 0 });
  if (ts === undefined) requireQueryParam(ctx.req, 'ts');
  const dir = dirParam(ctx);
  const { store } = rooms.deps;
  const local = await store.read(roomTableNames, (tx) => localAnswer(tx, roomId, userId, ts!, dir));
  const federation = rooms.federation();
  if (local.lacking && federation) {
    const remote = await federation.timestampToEvent(roomId, ts!, dir);
    for (let round = 0; remote && round < MAX_ROUNDS; round++) {
      if (await store.read(roomTableNames, (tx) => visibleHere(tx, roomId, userId, remote.event_id)))
        return remote;
      if ((await federation.backfill(roomId, Number.MAX_SAFE_INTEGER)) === 0) break;
    }
  }
  if (local.found) return local.found;
  throw notFound(`No event found ${dir === 'f' ? 'after' : 'before'} ${ts}`);
}

export function timestampRoute(rooms: RoomsContext): Route {
  return {
    method: 'GET',
    path: '/_matrix/client/v1/rooms/{roomId}/timestamp_to_event',
    auth: 'required',
    handler: async (ctx) => ({ body: await timestampToEvent(rooms, ctx) }),
  };
}
