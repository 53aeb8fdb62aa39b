// Events of one room from one peer, after steps 1 to 3 (pdu-intake.ts), go
// through the rest of "Checks performed on receipt of a PDU" (spec:
// server-server API) here, one batch of a room at a time:
//  a. what is already placed is done;
//  b. auth events we lack are fetched (auth-chain.ts), so step 4 can run;
//  c. prev events we lack are fetched (gap-fill.ts); those still missing
//     are taken as state (state-after.ts), so step 5 can run;
//  d. in DAG order, each event in its own write transaction: 4. auth against
//     its auth events, 5. against the state before it, 6. against the
//     current state (soft fail), then placed (rooms' persist-remote.ts);
//  e. sync is woken after each commit.
// Rejected events are stored as rejected; events whose auth or prev events
// could not be had are dropped (a later delivery may bring them).
import type { RoomEvent, RoomVersion } from '../../protocol.ts';
import {
  type EventRow,
  type RemoteOutcome,
  type StateIds,
  eventRowOf,
  persistRemoteEvent,
  roomTableNames,
  roomWriteTables,
} from '../../rooms/federation-api.ts';
import type { ReadTx, WriteTx } from '../../storage/port.ts';
import type { StateCache } from '../state-cache.ts';
import {
  EventRows,
  MissingAuthEvents,
  checkCurrentState,
  checkOwnAuthEvents,
  checkStateBefore,
  stateGroupBefore,
} from '../event-checks.ts';
import { topoSort } from '../topo-sort.ts';
import { fetchMissingAuthEvents } from './auth-chain.ts';
import { fillGaps, isPlaced } from './gap-fill.ts';
import type { InboundDeps } from './inbound-deps.ts';
import { fetchStateAfter } from './state-after.ts';

/** Prev events of one batch taken as state (each costs state_ids and maybe many /event requests). */
const MAX_STATE_LOOKUPS = 10;

/** Per event id: undefined when the event is accepted (or soft-failed), else why not. */
export type PduResults = Map<string, string | undefined>;

export interface Placed {
  readonly event: RoomEvent;
  /** Undefined when accepted or soft-failed. */
  readonly error?: string;
  readonly outcome?: RemoteOutcome;
}

/** Handles a batch of one room (see the header); returns a result for each event of `events`. */
export function receivePdus(
  deps: InboundDeps,
  origin: string,
  version: RoomVersion,
  events: readonly RoomEvent[],
  onPlaced?: (placed: Placed) => void,
): Promise<PduResults> {
  const roomId = events[0]?.room_id;
  if (roomId === undefined) return Promise.resolve(new Map());
  return deps.queue.run(roomId, async () => {
    // a.
    const { results, todo, lacksAuth, lacksPrev } = await deps.store.read(roomTableNames, (tx) => survey(tx, events));
    if (todo.length === 0) return results;
    // b. and c.
    const gap = lacksPrev ? await fillGaps(deps, origin, roomId, version, todo) : [];
    const all = topoSort([...gap, ...todo], (e) => e.prev_events);
    if (lacksAuth || gap.length > 0) await fetchMissingAuthEvents(deps, origin, version, all);
    const external = lacksPrev ? await statesOfMissingPrevs(deps, origin, roomId, version, all) : new Map();
    // d. and e.
    const wanted = new Set(todo.map((e) => e.event_id));
    const members = new Set<string>();
    let timeline = false;
    for (const placed of await placeAll(deps, version, all, external)) {
      if (wanted.has(placed.event.event_id)) results.set(placed.event.event_id, placed.error);
      if (placed.outcome?.stream !== undefined) timeline = true;
      for (const member of placed.outcome?.members ?? []) members.add(member);
      onPlaced?.(placed);
    }
    if (timeline) deps.notifier.notify({ rooms: [roomId], users: [...members] });
    return results;
  });
}

/**
 * Step a in one read: the results of events already placed, the rest to do,
 * and whether some of their auth events or prev events are neither held
 * (placed, for prev events) nor in the batch.
 */
async function survey(tx: ReadTx, events: readonly RoomEvent[]) {
  const rows = new Map<string, EventRow | undefined>();
  const row = async (id: string) => {
    if (!rows.has(id)) rows.set(id, await eventRowOf(tx, id));
    return rows.get(id);
  };
  const results: PduResults = new Map();
  const todo: RoomEvent[] = [];
  for (const event of events) {
    const held = await row(event.event_id);
    if (held && !held.outlier) results.set(event.event_id, held.rejected && `rejected: ${held.rejected}`);
    else todo.push(event);
  }
  const inBatch = new Set(todo.map((e) => e.event_id));
  let lacksAuth = false;
  let lacksPrev = false;
  for (const event of todo) {
    for (const id of event.auth_events) if (!inBatch.has(id) && !(await row(id))) lacksAuth = true;
    for (const id of event.prev_events) {
      const prev = inBatch.has(id) ? undefined : await row(id);
      if (!inBatch.has(id) && (!prev || prev.outlier)) lacksPrev = true;
    }
  }
  return { results, todo, lacksAuth, lacksPrev };
}

/** The state after each prev event that is neither placed nor in the batch (fetched as state). */
async function statesOfMissingPrevs(
  deps: InboundDeps,
  origin: string,
  roomId: string,
  version: RoomVersion,
  batch: readonly RoomEvent[],
): Promise<Map<string, StateIds>> {
  const inBatch = new Set(batch.map((e) => e.event_id));
  const missing = await deps.store.read(roomTableNames, async (tx) => {
    const out = new Set<string>();
    for (const event of batch) {
      for (const prev of event.prev_events)
        if (!inBatch.has(prev) && !(await isPlaced(tx, prev))) out.add(prev);
    }
    return out;
  });
  const states = new Map<string, StateIds>();
  for (const prev of [...missing].slice(0, MAX_STATE_LOOKUPS)) {
    const state = await fetchStateAfter(deps, origin, roomId, version, prev);
    if (state) states.set(prev, state);
  }
  return states;
}

/**
 * Step d for a batch in DAG order, in one write transaction under the room's
 * write lock. Checks never throw for bad events (they return a reason), so a
 * throw means storage failed: then each event is tried on its own, so one
 * cannot take the others down.
 */
async function placeAll(
  deps: InboundDeps,
  version: RoomVersion,
  events: readonly RoomEvent[],
  external: ReadonlyMap<string, StateIds>,
): Promise<Placed[]> {
  try {
    return await deps.rooms.exclusive(events[0]!.room_id, () =>
      deps.store.write(roomWriteTables, async (tx) => {
        const held = new EventRows(tx);
        const out: Placed[] = [];
        for (const event of events) {
          out.push(logged(deps, await checkAndPlace(tx, held, version, event, external, deps.stateCache)));
        }
        return out;
      }),
    );
  } catch (err) {
    deps.logger.warn('placing a batch failed, placing its events one by one', { error: String(err) });
    const out: Placed[] = [];
    for (const event of events) {
      try {
        out.push(await place(deps, version, event, external));
      } catch (error) {
        out.push({ event, error: `dropped: ${String(error)}` });
      }
    }
    return out;
  }
}

function logged(deps: Pick<InboundDeps, 'logger'>, placed: Placed): Placed {
  if (placed.error) deps.logger.info('an event from a peer was not accepted', { eventId: placed.event.event_id, reason: placed.error });
  return placed;
}

/** Step d for one event, under the room's write lock. */
export function place(
  deps: Pick<InboundDeps, 'store' | 'rooms' | 'logger' | 'stateCache'>,
  version: RoomVersion,
  event: RoomEvent,
  external: ReadonlyMap<string, StateIds>,
): Promise<Placed> {
  return deps.rooms.exclusive(event.room_id, () =>
    deps.store.write(roomWriteTables, async (tx) =>
      logged(deps, await checkAndPlace(tx, new EventRows(tx), version, event, external, deps.stateCache)),
    ),
  );
}

async function checkAndPlace(
  tx: WriteTx,
  held: EventRows,
  version: RoomVersion,
  event: RoomEvent,
  external: ReadonlyMap<string, StateIds>,
  cache: StateCache,
): Promise<Placed> {
  const row = await held.get(event.event_id);
  if (row && !row.outlier) return { event, ...(row.rejected && { error: `rejected: ${row.rejected}` }) };
  const placed = await decide(tx, held, version, event, external, cache);
  // Rows this changed are read afresh when a later event of the batch asks.
  held.forget(event.event_id);
  const target = event.type === 'm.room.redaction' ? (event.redacts ?? event.content.redacts) : undefined;
  if (typeof target === 'string') held.forget(target);
  return placed;
}

/** Steps 4 to 6 and the placing of one event not placed yet. */
async function decide(
  tx: WriteTx,
  held: EventRows,
  version: RoomVersion,
  event: RoomEvent,
  external: ReadonlyMap<string, StateIds>,
  cache: StateCache,
): Promise<Placed> {
  // 4.
  let own: Awaited<ReturnType<typeof checkOwnAuthEvents>>;
  try {
    own = await checkOwnAuthEvents(held, event, version);
  } catch (err) {
    if (err instanceof MissingAuthEvents) return { event, error: `dropped: ${err.message}` };
    throw err;
  }
  const sgBefore = await stateGroupBefore(tx, held, event, version, external, cache);
  if (sgBefore === undefined)
    return { event, error: 'dropped: prev events and the state before them are unavailable' };
  if (!own.ok) return reject(tx, version, event, sgBefore, `4: ${own.reason}`);
  // 5.
  const before = await checkStateBefore(tx, held, event, version, sgBefore, cache);
  if (!before.ok) return reject(tx, version, event, sgBefore, `5: ${before.reason}`);
  // 6.
  const current = await checkCurrentState(tx, event, version, sgBefore);
  const outcome = await persistRemoteEvent(tx, event, version, { sgBefore, softFailed: !current.ok });
  return { event, outcome };
}

async function reject(
  tx: WriteTx,
  version: RoomVersion,
  event: RoomEvent,
  sgBefore: number,
  reason: string,
): Promise<Placed> {
  await persistRemoteEvent(tx, event, version, { sgBefore, rejected: reason });
  return { event, error: `rejected: ${reason}` };
}
