// Backfill (spec: server-server API, "Backfilling and retrieving missing
// events"): a room's history from before what this server holds, asked of
// the servers in the room with GET /backfill from the edge of our history
// (rooms' historyEdge: the prev events of our oldest timeline events that we
// lack), walking prev_events backwards a page at a time. It runs once a
// server joined over federation (remote-join.ts) and whenever /messages
// reaches the oldest event held (as Synapse does), until the room's creation.
//
// Every event is checked like any other from a peer: steps 1 to 3 (format
// and sizes, signatures, hashes: pdu-intake.ts), its auth events fetched
// when missing, step 4 against its own auth events and step 5 against the
// state before it, which comes from its prev events, or, for the oldest
// events of a page, from GET /state_ids at the missing prev event
// (state-after.ts). Step 6 (the current state) does not apply to the past.
// Accepted events are placed by rooms' persist-backfill.ts below the
// timeline; rejected ones are kept as rejected; the room's current state,
// extremities and memberships never change.
//
// What a peer can make us fetch and store is bounded: only events we asked
// for and their ancestors within the answer are kept, each with a depth
// below every event citing it (spec: depth is one more than the prev events'
// highest), so a walk ends at depth 1; one page is at most `pageSize`
// events; one call places at most `maxEvents` and asks at most
// `maxRequests` times; and backfill only ever runs for a room we hold and
// for what a local user scrolls to, but for the one page a join asks ahead
// (askPageAhead): one request per server joined through, whose answer is
// checked as any page once the room is ours, or dropped unread.
import type { JsonObject, RoomEvent, RoomVersion } from '../../protocol.ts';
import {
  heldRoomVersion,
  historyEdge,
  joinedServers,
  persistBackfilledEvent,
  roomTableNames,
} from '../../rooms/federation-api.ts';
import { reserveBackfillPositions } from '../../storage/stream.ts';
import { EventRows } from '../event-checks.ts';
import { fedPath } from '../federation-client.ts';
import { topoSort } from '../topo-sort.ts';
import { acceptedPdus, fetchMissingAuthEvents } from './auth-chain.ts';
import { isPlaced } from './gap-fill.ts';
import type { InboundDeps } from './inbound-deps.ts';
import { checkAgainstOwnState, logged, placingWrite } from './place-events.ts';
import { statesOfMissingPrevs } from './state-after.ts';

export interface BackfillLimits {
  /** Events asked for in one GET /backfill. */
  readonly pageSize: number;
  /** Events placed by one call at most. */
  readonly maxEvents: number;
  /** Requests (to any server) made by one call at most. */
  readonly maxRequests: number;
}

export const defaultBackfillLimits: BackfillLimits = { pageSize: 100, maxEvents: 1_000, maxRequests: 20 };

/** Missing prev events of one page taken as state (each costs a state_ids and maybe /event requests). */
const MAX_STATE_LOOKUPS = 5;
/** A request names at most this many of the edge's events (`v`): a room's forward extremities are usually a few. */
const EDGE_IDS_ASKED = 20;

export interface BackfillDeps extends InboundDeps {
  readonly serverName: string;
  readonly backfillLimits: BackfillLimits;
  readonly backfilled: BackfillTally;
}

/**
 * Per room, the timeline events its backfills placed, in memory: a call that
 * waited in the room's queue counts what the ones before it placed meanwhile
 * toward its own want. A room's count is kept only while a call for it is
 * queued or running, so what this holds is bounded by the calls under way,
 * not by every room ever backfilled.
 */
export class BackfillTally {
  readonly #rooms = new Map<string, { placed: number; calls: number }>();

  /** A call for the room begins: what is placed from now on counts for it until `end`. */
  begin(roomId: string): { placedSince(): number; add(count: number): void; end(): void } {
    const room = this.#rooms.get(roomId) ?? { placed: 0, calls: 0 };
    room.calls++;
    this.#rooms.set(roomId, room);
    const before = room.placed;
    let ended = false;
    return {
      placedSince: () => room.placed - before,
      add: (count) => {
        room.placed += count;
      },
      end: () => {
        if (ended) return;
        ended = true;
        if (--room.calls === 0) this.#rooms.delete(roomId);
      },
    };
  }

  /** Rooms with a call under way (tests). */
  get rooms(): number {
    return this.#rooms.size;
  }
}

/**
 * A first page asked ahead (remote-join.ts): the room's history before the
 * join's prev events, which are the edge of what a room just joined over
 * federation holds, asked of the server joined through while the joined
 * state is checked and written. Its answer is taken by backfillRoom's first
 * request when that is the same one, and checked there as any page.
 */
export interface PageAhead {
  readonly server: string;
  readonly from: readonly string[];
  readonly answer: Promise<JsonObject>;
}

export function askPageAhead(
  deps: Pick<BackfillDeps, 'client' | 'backfillLimits'>,
  server: string,
  roomId: string,
  from: readonly string[],
): PageAhead {
  const answer = backfillRequest(deps, server, roomId, from, deps.backfillLimits.pageSize);
  // It may never be taken (the join failed, the edge moved, the server is
  // not among the room's): its failure is seen only by the backfill that takes it.
  answer.catch(() => {});
  return { server, from, answer };
}

/**
 * Places up to `wanted` events of the room's history before what we hold
 * (bounded by the limits); returns how many were placed in the timeline
 * since the call, by it or by the backfills it waited for. Runs in the
 * room's inbound queue, so it never races events arriving. A /messages that
 * reaches the oldest event held while the backfill after a join runs wants
 * the history that one is placing: it asks peers only for what is still
 * wanted once that one is done.
 */
export function backfillRoom(
  deps: BackfillDeps,
  roomId: string,
  wanted: number,
  pageAhead?: PageAhead,
): Promise<number> {
  const tally = deps.backfilled.begin(roomId);
  // Held here, not through the parameter, so that it is let go once decided on.
  let ahead = pageAhead;
  const run = deps.queue.run(roomId, async () => {
    const limits = deps.backfillLimits;
    const goal = Math.min(wanted, limits.maxEvents);
    let placed = tally.placedSince();
    let requests = 0;
    while (placed < goal && requests < limits.maxRequests) {
      const start = await deps.store.read(roomTableNames, async (tx) => ({
        version: await heldRoomVersion(tx, roomId),
        edge: await historyEdge(tx, roomId),
        servers: [...(await joinedServers(tx, roomId))].filter((s) => s !== deps.serverName),
      }));
      if (!start.version || start.edge.ids.length === 0) break;
      // The page asked ahead is the first request's answer when it asked
      // the same server for the same edge; the server it asked goes first.
      // Asked at a busy moment (the server had just answered send_join), it
      // is asked again should it have failed.
      const taken =
        ahead && sameIds(ahead.from, start.edge.ids) && start.servers.includes(ahead.server)
          ? ahead
          : undefined;
      ahead = undefined;
      const servers = taken
        ? [taken.server, ...start.servers.filter((s) => s !== taken.server)]
        : start.servers;
      let progress = false;
      for (const [i, server] of servers.entries()) {
        if (requests >= limits.maxRequests) break;
        requests += 1;
        // Whole pages: a request costs more than the events it brings.
        const ask = () => backfillRequest(deps, server, roomId, start.edge.ids, limits.pageSize);
        const answer = taken && i === 0 ? taken.answer.catch(ask) : ask();
        const page = await fetchPage(
          deps,
          answer,
          server,
          roomId,
          start.version,
          start.edge.ids,
          limits.pageSize,
        );
        if (page.length === 0) continue;
        const count = await placePage(deps, server, start.version, page);
        placed += count;
        tally.add(count);
        progress = count > 0;
        if (progress) break;
      }
      if (!progress) break;
    }
    return placed;
  });
  return run.finally(tally.end);
}

/** GET /backfill of `limit` events from `server`, before `from` (EDGE_IDS_ASKED of them at most). */
function backfillRequest(
  deps: Pick<BackfillDeps, 'client'>,
  server: string,
  roomId: string,
  from: readonly string[],
  limit: number,
): Promise<JsonObject> {
  return deps.client.get(server, fedPath`/_matrix/federation/v1/backfill/${roomId}`, {
    v: from.slice(0, EDGE_IDS_ASKED),
    limit: String(limit),
  });
}

/** Whether two edges name the same events, as a request asks them (the first EDGE_IDS_ASKED). */
function sameIds(a: readonly string[], b: readonly string[]): boolean {
  const x = new Set(a.slice(0, EDGE_IDS_ASKED));
  const y = b.slice(0, EDGE_IDS_ASKED);
  return x.size === new Set(y).size && y.every((id) => x.has(id));
}

/** A GET /backfill's answer from `server`, checked (steps 1 to 3) and cut to what was asked (see the header). */
async function fetchPage(
  deps: BackfillDeps,
  answer: Promise<JsonObject>,
  server: string,
  roomId: string,
  version: RoomVersion,
  from: readonly string[],
  limit: number,
): Promise<RoomEvent[]> {
  let events: RoomEvent[];
  try {
    const res = await answer;
    events = await acceptedPdus(deps, res.pdus, version, roomId, limit);
  } catch (err) {
    deps.logger.info('backfill failed', { server, roomId, error: String(err) });
    return [];
  }
  const asked = askedFor(from, events);
  return deps.store.read(roomTableNames, async (tx) => {
    const out: RoomEvent[] = [];
    for (const event of asked) if (!(await isPlaced(tx, event.event_id))) out.push(event);
    return out;
  });
}

/**
 * The events of `answer` that are the asked ones or their ancestors through
 * the answer, each deeper than none of the events citing it.
 */
function askedFor(from: readonly string[], answer: readonly RoomEvent[]): RoomEvent[] {
  const byId = new Map(answer.map((e) => [e.event_id, e]));
  const ceiling = new Map<string, number>(from.map((id) => [id, Number.MAX_SAFE_INTEGER]));
  const out = new Map<string, RoomEvent>();
  const wanted = [...from];
  while (wanted.length > 0) {
    const id = wanted.pop()!;
    const event = byId.get(id);
    if (!event || out.has(id) || event.depth >= ceiling.get(id)!) continue;
    out.set(id, event);
    for (const prev of event.prev_events) {
      ceiling.set(prev, Math.min(ceiling.get(prev) ?? Number.MAX_SAFE_INTEGER, event.depth));
      wanted.push(prev);
    }
  }
  return [...out.values()];
}

/** Auth events and the state before the page, then its events placed oldest first in one transaction. */
async function placePage(
  deps: BackfillDeps,
  origin: string,
  version: RoomVersion,
  page: readonly RoomEvent[],
): Promise<number> {
  const roomId = page[0]!.room_id;
  const ordered = topoSort(page, (e) => e.prev_events);
  await fetchMissingAuthEvents(deps, origin, version, ordered);
  const external = await statesOfMissingPrevs(deps, origin, roomId, version, ordered, MAX_STATE_LOOKUPS);
  return placingWrite(deps, roomId, async (tx) => {
    const held = new EventRows(tx);
    const low = await reserveBackfillPositions(tx, ordered.length);
    let placed = 0;
    for (const [i, event] of ordered.entries()) {
      const checked = await checkAgainstOwnState(tx, held, version, event, external, deps.stateCache);
      if ('dropped' in checked) {
        logged(deps, { event, error: checked.dropped });
        continue;
      }
      await persistBackfilledEvent(tx, event, version, { ...checked, stream: low + i });
      held.forget(event.event_id);
      if (checked.rejected === undefined) placed += 1;
      else logged(deps, { event, error: `rejected: ${checked.rejected}` });
    }
    return placed;
  });
}
