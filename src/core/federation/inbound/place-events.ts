// Step d of receive-pdus.ts: checks 4 to 6 on receipt of a PDU (spec:
// server-server API, "Checks performed on receipt of a PDU", event-checks.ts)
// and the placing of each event (rooms' persist-remote.ts), in DAG order,
// in one write transaction per batch under the room's write lock.
import type { RoomEvent, RoomVersion } from '../../protocol.ts';
import {
  RemoteBatch,
  type RemoteOutcome,
  type StateIds,
  heldWithPlace,
  persistRemoteEvent,
  roomWriteTables,
} from '../../rooms/federation-api.ts';
import type { WriteTx } from '../../storage/port.ts';
import {
  EventRows,
  MissingAuthEvents,
  checkCurrentState,
  checkOwnAuthEvents,
  checkStateBefore,
  stateGroupBefore,
} from '../event-checks.ts';
import type { StateCache } from '../state-cache.ts';
import type { InboundDeps } from './inbound-deps.ts';

export interface Placed {
  readonly event: RoomEvent;
  /** Undefined when accepted or soft-failed. */
  readonly error?: string;
  readonly outcome?: RemoteOutcome;
}

/**
 * Step d for a batch in DAG order, in one write transaction under the room's
 * write lock. Checks never throw for bad events (they return a reason), so a
 * throw means storage failed: then each event is tried on its own, so one
 * cannot take the others down.
 */
export async function placeAll(
  deps: InboundDeps,
  version: RoomVersion,
  events: readonly RoomEvent[],
  external: ReadonlyMap<string, StateIds>,
): Promise<Placed[]> {
  try {
    return await placingWrite(deps, events[0]!.room_id, (tx) =>
      placeBatch(deps, tx, version, events, external),
    );
  } catch (err) {
    return placeOneByOne(deps, version, events, external, err);
  }
}

/**
 * Step d for a batch in DAG order inside the caller's write transaction
 * (under the room's write lock), as one RemoteBatch; `held` may bring the
 * rows the caller already read in this transaction, and `opened` the batch
 * the caller opened for exactly `events` (openBatch) with its reads.
 */
export async function placeBatch(
  deps: Pick<InboundDeps, 'logger' | 'stateCache'>,
  tx: WriteTx,
  version: RoomVersion,
  events: readonly RoomEvent[],
  external: ReadonlyMap<string, StateIds>,
  held = new EventRows(tx),
  opened?: Promise<RemoteBatch>,
): Promise<Placed[]> {
  if (events.length === 0) return [];
  const batch = await (opened ?? openBatch(tx, held, events));
  const out: Placed[] = [];
  for (const event of events) {
    out.push(logged(deps, await checkAndPlace(tx, held, batch, version, event, external, deps.stateCache)));
  }
  await batch.finish();
  return out;
}

/** The RemoteBatch placing `events` (in one room) reads: its requests go out when called. */
export function openBatch(tx: WriteTx, held: EventRows, events: readonly RoomEvent[]): Promise<RemoteBatch> {
  return RemoteBatch.open(
    tx,
    events[0]!.room_id,
    events.map((e) => e.event_id),
    { laterAsRead: (id) => held.mayBePlacedLater(id), presumedNew: (id) => held.presumedNew(id) },
  );
}

/** After the batch's transaction failed (`err`): each event on its own, so one cannot take the others down. */
export async function placeOneByOne(
  deps: InboundDeps,
  version: RoomVersion,
  events: readonly RoomEvent[],
  external: ReadonlyMap<string, StateIds>,
  err: unknown,
): Promise<Placed[]> {
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

export function logged(deps: Pick<InboundDeps, 'logger'>, placed: Placed): Placed {
  if (placed.error)
    deps.logger.info('an event from a peer was not accepted', {
      eventId: placed.event.event_id,
      reason: placed.error,
    });
  return placed;
}

/** Step d for one event, under the room's write lock. */
export async function place(
  deps: Pick<InboundDeps, 'store' | 'rooms' | 'logger' | 'stateCache'>,
  version: RoomVersion,
  event: RoomEvent,
  external: ReadonlyMap<string, StateIds>,
): Promise<Placed> {
  const [placed] = await placingWrite(deps, event.room_id, (tx) =>
    placeBatch(deps, tx, version, [event], external),
  );
  return placed!;
}

/**
 * A write that places events in `roomId`, under the room's write lock; if it
 * fails, the state cache forgets the states it took in (state-cache.ts
 * `writing`: a failed write's new state groups were never committed).
 */
export function placingWrite<T>(
  deps: Pick<InboundDeps, 'store' | 'rooms' | 'stateCache'>,
  roomId: string,
  body: (tx: WriteTx) => Promise<T>,
): Promise<T> {
  return deps.rooms.exclusive(roomId, () => deps.stateCache.writing(deps.store.write(roomWriteTables, body)));
}

async function checkAndPlace(
  tx: WriteTx,
  held: EventRows,
  batch: RemoteBatch,
  version: RoomVersion,
  event: RoomEvent,
  external: ReadonlyMap<string, StateIds>,
  cache: StateCache,
): Promise<Placed> {
  const row = held.peek(event.event_id) ?? (await held.get(event.event_id));
  if (heldWithPlace(row)) return { event, ...(row.rejected && { error: `rejected: ${row.rejected}` }) };
  const placed = await decide(tx, held, batch, version, event, external, cache);
  // The row as placed serves the next events of the batch (their prev event);
  // other rows this changed are read afresh when a later event asks.
  const stored = placed.outcome?.row;
  if (stored) held.set(stored);
  else held.forget(event.event_id);
  const target = event.type === 'm.room.redaction' ? (event.redacts ?? event.content.redacts) : undefined;
  if (typeof target === 'string') held.forget(target);
  return placed;
}

/** Steps 4 and 5 for one event: the state group before it and whether it is rejected, or why it is dropped. */
export async function checkAgainstOwnState(
  tx: WriteTx,
  held: EventRows,
  version: RoomVersion,
  event: RoomEvent,
  external: ReadonlyMap<string, StateIds>,
  cache: StateCache,
): Promise<{ readonly dropped: string } | { readonly sgBefore: number; readonly rejected?: string }> {
  // 4.
  let own: Awaited<ReturnType<typeof checkOwnAuthEvents>>;
  try {
    own = await checkOwnAuthEvents(held, event, version);
  } catch (err) {
    if (err instanceof MissingAuthEvents) return { dropped: `dropped: ${err.message}` };
    throw err;
  }
  const sgBefore = await stateGroupBefore(tx, held, event, version, external, cache);
  if (sgBefore === undefined)
    return { dropped: 'dropped: prev events and the state before them are unavailable' };
  if (!own.ok) return { sgBefore, rejected: `4: ${own.reason}` };
  // 5.
  const before = await checkStateBefore(tx, held, event, version, sgBefore, cache);
  return before.ok ? { sgBefore } : { sgBefore, rejected: `5: ${before.reason}` };
}

/** Steps 4 to 6 and the placing of one event not placed yet. */
async function decide(
  tx: WriteTx,
  held: EventRows,
  batch: RemoteBatch,
  version: RoomVersion,
  event: RoomEvent,
  external: ReadonlyMap<string, StateIds>,
  cache: StateCache,
): Promise<Placed> {
  const checked = await checkAgainstOwnState(tx, held, version, event, external, cache);
  if ('dropped' in checked) return { event, error: checked.dropped };
  const { sgBefore } = checked;
  if (checked.rejected !== undefined) {
    const placement = { sgBefore, rejected: checked.rejected };
    const outcome = await persistRemoteEvent(tx, event, version, placement, batch);
    return { event, error: `rejected: ${checked.rejected}`, outcome };
  }
  // 6.
  const current = await checkCurrentState(tx, event, version, sgBefore, batch.room.state_group);
  const placement = { sgBefore, softFailed: !current.ok };
  const outcome = await persistRemoteEvent(tx, event, version, placement, batch);
  return { event, outcome };
}
