// Checks 4 to 6 on receipt of a PDU (spec: server-server API, "Checks
// performed on receipt of a PDU"), run inside the write transaction that
// stores the event, over the events and state groups already held:
//  4. auth against the event's own auth events (rule 2 on the citation itself);
//  5. auth against the state before the event, computed from its prev_events
//     (state resolution v2 when they disagree);
//  6. auth against the current state of the room; failing only this one
//     "soft fails" the event.
import {
  type RoomEvent,
  type RoomVersion,
  type StateKey,
  type Verdict,
  allowed,
  authEventIdsOf,
  authEventTypesFor,
  checkAuth,
  checkAuthEventsSelection,
  resolveStateV2,
  stateKeyOf,
} from '../protocol.ts';
import {
  type EventRow,
  type StateIds,
  authStateFor,
  eventRowOf,
  heldWithPlace,
  mayBePlacedLater,
  txEventProvider,
  writeSnapshot,
} from '../rooms/federation-api.ts';
import type { ReadTx, WriteTx } from '../storage/port.ts';
import type { StateCache } from './state-cache.ts';

/** Thrown when an event's auth events are not all held (they could not be fetched): drop, do not reject. */
export class MissingAuthEvents extends Error {
  override readonly name = 'MissingAuthEvents';
}

/**
 * 4. The event against the events it cites as auth_events (all given):
 * rule 2 on the citation, then the auth rules over those events.
 */
export function authEventsVerdict(
  event: RoomEvent,
  authEvents: readonly RoomEvent[],
  version: RoomVersion,
  isRejected: (eventId: string) => boolean,
): Verdict {
  const selection = checkAuthEventsSelection(event, authEvents, version, isRejected);
  if (!selection.ok) return selection;
  const byKey = new Map<StateKey, RoomEvent>();
  for (const e of authEvents) if (e.state_key !== undefined) byKey.set(stateKeyOf(e.type, e.state_key), e);
  return checkAuth(event, (type, stateKey) => byKey.get(stateKeyOf(type, stateKey)), version);
}

/**
 * Held event rows read through one transaction, remembered for the events
 * after (a batch cites the same auth events over and over). A miss is
 * remembered only when prefetched; the caller sets or forgets rows it writes.
 */
export class EventRows {
  private readonly tx: ReadTx;
  /** Undefined: known not to be held (prefetched). */
  private readonly rows = new Map<string, EventRow | undefined>();
  /** Forgotten rows that were held with their place: a write may change a row, never that (tables.ts). */
  private readonly forgottenPlaced = new Set<string>();
  /** Ids presumed not held, their rows unread (presumeNew). */
  private readonly presumed = new Set<string>();

  constructor(tx: ReadTx) {
    this.tx = tx;
  }

  /**
   * The row when this transaction already read or wrote it, else undefined
   * (not known, or known not to be held): no await, where every event of a
   * batch asks for the same few rows several times (each await of get costs
   * a microtask, about 0.1-0.3 µs; issue 13). `held.peek(id) ?? (await held.get(id))`.
   */
  peek(eventId: string): EventRow | undefined {
    return this.rows.get(eventId);
  }

  async get(eventId: string): Promise<EventRow | undefined> {
    if (this.rows.has(eventId)) return this.rows.get(eventId);
    const row = await eventRowOf(this.tx, eventId);
    if (row) this.rows.set(eventId, row);
    return row;
  }

  /**
   * Reads the rows of `eventIds` not known yet, every request issued at once
   * (over IndexedDB each awaited request is a round trip), misses included.
   */
  async prefetch(eventIds: Iterable<string>): Promise<void> {
    const ids = [...new Set(eventIds)].filter((id) => !this.rows.has(id));
    const rows = await Promise.all(ids.map((id) => eventRowOf(this.tx, id)));
    for (const [i, id] of ids.entries()) this.rows.set(id, rows[i]);
  }

  /**
   * Takes `eventIds` as not held without reading their rows: the caller
   * writes their rows with add (RemoteBatch.writeEvent), so that one held
   * after all fails the write instead of being placed twice.
   */
  presumeNew(eventIds: Iterable<string>): void {
    for (const id of eventIds) {
      if (this.rows.has(id)) continue;
      this.rows.set(id, undefined);
      this.presumed.add(id);
    }
  }

  /** Whether `eventId` was presumed not held (presumeNew). */
  presumedNew(eventId: string): boolean {
    return this.presumed.has(eventId);
  }

  /**
   * Whether `eventId` may be placed later (tables.ts mayBePlacedLater), as
   * far as this transaction read: true when not read.
   */
  mayBePlacedLater(eventId: string): boolean {
    return !this.forgottenPlaced.has(eventId) && mayBePlacedLater(this.rows.get(eventId));
  }

  /** The row this transaction just wrote. */
  set(row: EventRow): void {
    this.rows.set(row.event_id, row);
  }

  /**
   * A row this transaction changed (a redaction pruned it), read afresh when
   * asked; what it said of being placed holds still (found in review: a
   * forgotten target read as one that may be placed later got a row and an
   * edge that nothing deleted).
   */
  forget(eventId: string): void {
    if (heldWithPlace(this.rows.get(eventId))) this.forgottenPlaced.add(eventId);
    this.rows.delete(eventId);
  }
}

/** 4. over held events; throws MissingAuthEvents when some auth events are not held. */
export async function checkOwnAuthEvents(
  held: EventRows,
  event: RoomEvent,
  version: RoomVersion,
): Promise<Verdict> {
  const rows = new Map<string, EventRow>();
  for (const id of authEventIdsOf(event, version)) {
    const row = held.peek(id) ?? (await held.get(id));
    if (!row) throw new MissingAuthEvents(`auth event ${id} of ${event.event_id} is not held`);
    rows.set(id, row);
  }
  const authEvents = [...rows.values()].map((r) => r.pdu);
  return authEventsVerdict(event, authEvents, version, (id) => rows.get(id)?.rejected !== undefined);
}

/**
 * The state group of the state before the event: the state after each prev
 * event (held ones from their groups, missing ones from `external`, which
 * state_ids filled), resolved with state resolution v2 when they differ.
 * Undefined when a prev event is neither held nor in `external`.
 */
export async function stateGroupBefore(
  tx: WriteTx,
  held: EventRows,
  event: RoomEvent,
  version: RoomVersion,
  external: ReadonlyMap<string, StateIds>,
  cache: StateCache,
): Promise<number | undefined> {
  const groups = new Set<number>();
  const states: ReadonlyMap<StateKey, string>[] = [];
  for (const prev of event.prev_events) {
    const row = held.peek(prev) ?? (await held.get(prev));
    // A prev event held with its place in the DAG gives its state after; outliers do not count.
    if (heldWithPlace(row)) groups.add(row.sg_after);
    else if (external.has(prev)) states.push(external.get(prev)!);
    else return undefined;
  }
  if (states.length === 0 && groups.size === 1) return [...groups][0]!;
  for (const group of groups) states.push(await cache.get(tx, group));
  const resolved =
    states.length === 0
      ? new Map()
      : states.length === 1
        ? new Map(states[0]!)
        : await resolveStateV2(states, txEventProvider(tx), version);
  return writeSnapshot(tx, event.room_id, resolved);
}

/** The auth-relevant state events of a group, by state key. */
async function authStateInGroup(
  tx: ReadTx,
  held: EventRows,
  group: number,
  event: RoomEvent,
  version: RoomVersion,
  cache: StateCache,
): Promise<Map<StateKey, RoomEvent>> {
  const found = new Map<StateKey, RoomEvent>();
  const state = await cache.get(tx, group);
  const tuples = [...authEventTypesFor(event, version), { type: 'm.room.create', stateKey: '' }];
  for (const { type, stateKey } of tuples) {
    const id = state.get(stateKeyOf(type, stateKey));
    const row = id === undefined ? undefined : (held.peek(id) ?? (await held.get(id)));
    if (row) found.set(stateKeyOf(type, stateKey), row.pdu);
  }
  return found;
}

/**
 * 5. The event against the state before it; call it once step 4 passed.
 * When that state holds exactly the auth events the event cites (the usual
 * case), the auth rules would see what step 4 saw, so they are not run again.
 */
export async function checkStateBefore(
  tx: ReadTx,
  held: EventRows,
  event: RoomEvent,
  version: RoomVersion,
  group: number,
  cache: StateCache,
): Promise<Verdict> {
  const found = await authStateInGroup(tx, held, group, event, version, cache);
  const ids = new Set([...found.values()].map((e) => e.event_id));
  const cited = new Set(authEventIdsOf(event, version));
  if (ids.size === cited.size && [...ids].every((id) => cited.has(id))) return allowed;
  return checkAuth(event, (type, stateKey) => found.get(stateKeyOf(type, stateKey)), version);
}

/**
 * 6. The event against the room's current state, whose group is
 * `currentGroup` (needless when that is the state before it).
 */
export async function checkCurrentState(
  tx: WriteTx,
  event: RoomEvent,
  version: RoomVersion,
  groupBefore: number,
  currentGroup: number,
): Promise<Verdict> {
  if (currentGroup === groupBefore) return allowed;
  return checkAuth(event, await authStateFor(tx, event, version), version);
}
