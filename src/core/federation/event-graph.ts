// Walks over the held room DAG for the endpoints that serve it to peers
// (auth chains, get_missing_events, backfill). Rejected events are never
// served: a walk treats them as absent. Every walk is bounded. The walks
// return rows: the routes serve each as its requester may see it.
import { type RoomEvent, type RoomVersion, authEventIdsOf } from '../protocol.ts';
import { type EventRow, eventRowOf } from '../rooms/federation-api.ts';
import type { ReadTx } from '../storage/port.ts';

/** No auth chain served or read is longer than this (a room's auth chain is usually tens of events). */
export const MAX_AUTH_CHAIN = 5_000;

/** A held event that may be served (not rejected). */
export async function servableRow(tx: ReadTx, eventId: string): Promise<EventRow | undefined> {
  const row = await eventRowOf(tx, eventId);
  return row && row.rejected === undefined ? row : undefined;
}

/**
 * The auth chain of the given events (their auth events, recursively, and
 * from v12 the room's create event, which no event cites), not including
 * them, oldest first. Each row is read once (a 1,000-member state's chain
 * is thousands of rows); `known` holds rows the caller already read. The
 * rows of one step of the walk are asked together: IndexedDB answers
 * requests issued at once far faster than awaited one by one, and a browser
 * serving a big room's join walks thousands.
 */
export async function authChain(
  tx: ReadTx,
  eventIds: Iterable<string>,
  version: RoomVersion,
  known?: ReadonlyMap<string, EventRow>,
): Promise<RoomEvent[]> {
  const rows = (ids: readonly string[]) => servableRowsOf(tx, ids, known);
  const seen = new Set<string>(eventIds);
  const out: EventRow[] = [];
  let frontier = (await rows([...seen])).filter((row) => row !== undefined);
  while (frontier.length > 0 && out.length < MAX_AUTH_CHAIN) {
    const asked: string[] = [];
    for (const event of frontier) {
      for (const authId of authEventIdsOf(event.pdu, version)) {
        if (seen.has(authId) || out.length + asked.length >= MAX_AUTH_CHAIN) continue;
        seen.add(authId);
        asked.push(authId);
      }
    }
    frontier = (await rows(asked)).filter((row) => row !== undefined);
    out.push(...frontier);
  }
  return out.sort((a, b) => a.depth - b.depth).map((r) => r.pdu);
}

/** The servable rows of a state's events, by id (asked together, as in authChain). */
export async function servableRows(tx: ReadTx, ids: Iterable<string>): Promise<Map<string, EventRow>> {
  const unique = [...new Set(ids)];
  const found = await servableRowsOf(tx, unique);
  const rows = new Map<string, EventRow>();
  for (const [i, row] of found.entries()) if (row) rows.set(unique[i]!, row);
  return rows;
}

export interface MissingEventsQuery {
  readonly earliest: readonly string[];
  readonly latest: readonly string[];
  readonly limit: number;
  readonly minDepth: number;
}

/**
 * GET_MISSING_EVENTS: walking back from the prev_events of `latest`,
 * breadth first, the events that are neither in `earliest` nor behind them,
 * of depth >= minDepth, at most `limit`, returned oldest first.
 */
export async function missingEvents(tx: ReadTx, roomId: string, q: MissingEventsQuery): Promise<EventRow[]> {
  const stop = new Set(q.earliest);
  const seen = new Set<string>([...q.latest, ...q.earliest]);
  const out: EventRow[] = [];
  let frontier: string[] = [];
  for (const row of await servableRowsOf(tx, q.latest)) frontier.push(...(row?.pdu.prev_events ?? []));
  while (frontier.length > 0 && out.length < q.limit) {
    const next: string[] = [];
    const ids = unseen(frontier, seen);
    for (const [i, row] of (await servableRowsOf(tx, ids)).entries()) {
      if (out.length >= q.limit) break;
      if (!row || row.room_id !== roomId || row.depth < q.minDepth || stop.has(ids[i]!)) continue;
      out.push(row);
      next.push(...row.pdu.prev_events);
    }
    frontier = next;
  }
  return out.sort((a, b) => a.depth - b.depth);
}

/** BACKFILL: the events `from` and before them, newest first, at most `limit`. */
export async function backfill(
  tx: ReadTx,
  roomId: string,
  from: readonly string[],
  limit: number,
): Promise<EventRow[]> {
  const seen = new Set<string>();
  const out: EventRow[] = [];
  let frontier = [...from];
  while (frontier.length > 0 && out.length < limit) {
    const next: string[] = [];
    for (const row of await servableRowsOf(tx, unseen(frontier, seen))) {
      if (out.length >= limit) break;
      if (!row || row.room_id !== roomId) continue;
      out.push(row);
      next.push(...row.pdu.prev_events);
    }
    frontier = next;
  }
  return out.sort((a, b) => b.depth - a.depth);
}

/** The ids of `frontier` not seen yet, each once, now marked seen. */
function unseen(frontier: readonly string[], seen: Set<string>): string[] {
  const ids: string[] = [];
  for (const id of frontier) {
    if (seen.has(id)) continue;
    seen.add(id);
    ids.push(id);
  }
  return ids;
}

/** One step of a walk: the rows asked together (see authChain), in the order of `ids`; `known` rows are not asked again. */
function servableRowsOf(
  tx: ReadTx,
  ids: readonly string[],
  known?: ReadonlyMap<string, EventRow>,
): Promise<(EventRow | undefined)[]> {
  return Promise.all(ids.map((id) => known?.get(id) ?? servableRow(tx, id)));
}
