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
  type RemoteOutcome,
  type StateIds,
  eventRowOf,
  persistRemoteEvent,
  roomTableNames,
  roomWriteTables,
} from '../../rooms/federation-api.ts';
import type { WriteTx } from '../../storage/port.ts';
import {
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
    const results: PduResults = new Map();
    // a.
    const todo = await deps.store.read(roomTableNames, async (tx) => {
      const out: RoomEvent[] = [];
      for (const event of events) {
        const row = await eventRowOf(tx, event.event_id);
        if (row && !row.outlier) results.set(event.event_id, row.rejected && `rejected: ${row.rejected}`);
        else out.push(event);
      }
      return out;
    });
    if (todo.length === 0) return results;
    // b. and c.
    const gap = await fillGaps(deps, origin, roomId, version, todo);
    const all = topoSort([...gap, ...todo], (e) => e.prev_events);
    await fetchMissingAuthEvents(deps, origin, version, all);
    const external = await statesOfMissingPrevs(deps, origin, roomId, version, all);
    // d. and e.
    const wanted = new Set(todo.map((e) => e.event_id));
    for (const event of all) {
      const placed = await place(deps, version, event, external);
      if (wanted.has(event.event_id)) results.set(event.event_id, placed.error);
      if (placed.outcome?.stream !== undefined) {
        deps.notifier.notify({ rooms: [roomId], users: [...placed.outcome.members] });
      }
      onPlaced?.(placed);
    }
    return results;
  });
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
      for (const prev of event.prev_events) if (!inBatch.has(prev) && !(await isPlaced(tx, prev))) out.add(prev);
    }
    return out;
  });
  const states = new Map<string, StateIds>();
  for (const prev of missing) {
    const state = await fetchStateAfter(deps, origin, roomId, version, prev);
    if (state) states.set(prev, state);
  }
  return states;
}

/** Step d for one event, under the room's write lock. */
export function place(
  deps: Pick<InboundDeps, 'store' | 'rooms' | 'logger'>,
  version: RoomVersion,
  event: RoomEvent,
  external: ReadonlyMap<string, StateIds>,
): Promise<Placed> {
  return deps.rooms.exclusive(event.room_id, () =>
    deps.store.write(roomWriteTables, async (tx) => {
      const placed = await checkAndPlace(tx, version, event, external);
      if (placed.error) deps.logger.info('an event from a peer was not accepted', { eventId: event.event_id, reason: placed.error });
      return placed;
    }),
  );
}

async function checkAndPlace(
  tx: WriteTx,
  version: RoomVersion,
  event: RoomEvent,
  external: ReadonlyMap<string, StateIds>,
): Promise<Placed> {
  const held = await eventRowOf(tx, event.event_id);
  if (held && !held.outlier) return { event, ...(held.rejected && { error: `rejected: ${held.rejected}` }) };
  // 4.
  let own: Awaited<ReturnType<typeof checkOwnAuthEvents>>;
  try {
    own = await checkOwnAuthEvents(tx, event, version);
  } catch (err) {
    if (err instanceof MissingAuthEvents) return { event, error: `dropped: ${err.message}` };
    throw err;
  }
  const sgBefore = await stateGroupBefore(tx, event, version, external);
  if (sgBefore === undefined) return { event, error: 'dropped: prev events and the state before them are unavailable' };
  if (!own.ok) return reject(tx, version, event, sgBefore, `4: ${own.reason}`);
  // 5.
  const before = await checkStateBefore(tx, event, version, sgBefore);
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
