// Events of one room from one peer, after steps 1 to 3 (pdu-intake.ts), go
// through the rest of "Checks performed on receipt of a PDU" (spec:
// server-server API) here, one batch of a room at a time:
//  a. what is already placed is done;
//  b. auth events we lack are fetched (auth-chain.ts), so step 4 can run;
//  c. prev events we lack are fetched (gap-fill.ts); those still missing
//     are taken as state (state-after.ts), so step 5 can run;
//  d. in DAG order, in one write transaction (place-events.ts): 4. auth
//     against its auth events, 5. against the state before it, 6. against
//     the current state (soft fail), then placed (rooms' persist-remote.ts);
//  e. sync is woken after the commit.
// A batch that lacks nothing (the next messages of a room we hold) is
// surveyed and placed in one write transaction (surveyAndPlace), and may be
// placed while the signatures of its events are still being checked
// (`signed`, transaction.ts): that write commits only once they all held.
// Rejected events are stored as rejected; events whose auth or prev events
// could not be had are dropped (a later delivery may bring them).
import { type RoomEvent, type RoomVersion, authEventIdsOf } from '../../protocol.ts';
import { EventHeldAfterAll, heldWithPlace } from '../../rooms/federation-api.ts';
import { handled } from '../../storage/issued.ts';
import { EventRows } from '../event-checks.ts';
import { type FederationClient, RemoteCallError, refused } from '../federation-client.ts';
import { topoSort } from '../topo-sort.ts';
import { type Placed, openBatch, placeAll, placeBatch, placeOneByOne, placingWrite } from './place-events.ts';
import { fetchMissingAuthEvents } from './auth-chain.ts';
import { fillGaps } from './gap-fill.ts';
import type { InboundDeps } from './inbound-deps.ts';
import { statesOfMissingPrevs } from './state-after.ts';

/** Prev events of one batch taken as state (each costs state_ids and maybe many /event requests). */
const MAX_STATE_LOOKUPS = 10;

/** Per event id: undefined when the event is accepted (or soft-failed), else why not. */
export type PduResults = Map<string, string | undefined>;

/**
 * Thrown by receivePdus when the signatures of the events it was given to
 * place while they were checked (`signed`) did not all hold, or were not
 * checked in time: nothing of them was written, and the caller places the
 * events that passed once checked instead.
 */
export class NotSignedAfterAll extends Error {
  constructor() {
    super('a signature of the batch did not hold');
  }
}

/** Goes on only once the batch's signatures, if they are still being checked, all held. */
async function mustBeSigned(signed: (() => Promise<boolean>) | undefined): Promise<void> {
  if (signed && !(await signed())) throw new NotSignedAfterAll();
}

/**
 * The result of an event dropped because its origin, asked for the auth or
 * prev events it lacks, did not answer (unreachable, timed out, 5xx or 429):
 * unlike a refusal, asking again later may bring them. A peer that just came
 * back from an outage, sent the next messages of a room, could not fetch
 * what it missed from the sender in that moment, and dropped them for good
 * (a hole in its timeline; test/churn). The transaction receiver has the
 * sender send such a transaction again (transaction.ts).
 */
export const ORIGIN_DID_NOT_ANSWER = 'dropped: what it lacks could not be had from its origin now';

/**
 * Handles a batch of one room (see the header); returns a result for each
 * event of `events`. `signed`, when given, asks the batch's signature checks,
 * still running, whether they all held (in time): asked once the batch is
 * placed (or before anything else is done with it), and nothing is
 * committed, fetched or answered before it says yes; NotSignedAfterAll is
 * thrown when it says no.
 */
export function receivePdus(
  deps: InboundDeps,
  origin: string,
  version: RoomVersion,
  events: readonly RoomEvent[],
  signed?: () => Promise<boolean>,
): Promise<PduResults> {
  const roomId = events[0]?.room_id;
  if (roomId === undefined) return Promise.resolve(new Map());
  return deps.queue.run(roomId, async () => {
    // a. and, when nothing is missing (the common case: the next messages
    // of a room we hold), d. in the same write transaction.
    const quick = await surveyAndPlace(deps, version, events, signed);
    await mustBeSigned(signed);
    const { results, todo, lacksAuth, lacksPrev } = quick.survey;
    if (todo.length === 0) return results;
    const placed =
      quick.placed ?? (await placeMissing(deps, origin, roomId, version, todo, lacksAuth, lacksPrev));
    // e.
    const wanted = new Set(todo.map((e) => e.event_id));
    const members = new Set<string>();
    let timeline = false;
    for (const { event, error, outcome } of placed) {
      if (wanted.has(event.event_id)) results.set(event.event_id, error);
      if (outcome?.stream !== undefined) timeline = true;
      for (const member of outcome?.members ?? []) members.add(member);
    }
    if (timeline) deps.notifier.notify({ rooms: [roomId], users: [...members] });
    return results;
  });
}

type Survey = Awaited<ReturnType<typeof survey>>;

/** The survey of a batch that presumed its events new lacked events: it is surveyed again, reading them. */
const SURVEY_AGAIN = Symbol('survey again');

/**
 * Step a, and step d at once when the batch lacks nothing: one write
 * transaction for a batch that follows on what we hold, instead of a read
 * and then a write. If placing fails, each event is placed on its own.
 *
 * The batch's own events are first presumed not held (new events from a
 * peer, almost always), their rows unread (a request each: 50 of a
 * transaction's 103 in the extension's ingest bench, and a round trip to
 * the store before the writes could go), and their rows added
 * (RemoteBatch.writeEvent): one held after all (a repeated delivery, an
 * outlier) fails the write, which aborts whole, and the batch is surveyed
 * and placed again reading every row, as it is when the presumed survey
 * finds it lacks auth or prev events (placeMissing reads what it needs
 * then). Nothing is answered or notified before the write commits.
 */
async function surveyAndPlace(
  deps: InboundDeps,
  version: RoomVersion,
  events: readonly RoomEvent[],
  signed: (() => Promise<boolean>) | undefined,
): Promise<{ survey: Survey; placed?: Placed[] }> {
  try {
    const presumed = await surveyAndPlaceOnce(deps, version, events, true, signed);
    if (presumed !== SURVEY_AGAIN) return presumed;
  } catch (err) {
    if (!(err instanceof EventHeldAfterAll)) throw err;
  }
  return (await surveyAndPlaceOnce(deps, version, events, false, signed)) as {
    survey: Survey;
    placed?: Placed[];
  };
}

async function surveyAndPlaceOnce(
  deps: InboundDeps,
  version: RoomVersion,
  events: readonly RoomEvent[],
  presume: boolean,
  signed: (() => Promise<boolean>) | undefined,
): Promise<{ survey: Survey; placed?: Placed[] } | typeof SURVEY_AGAIN> {
  const roomId = events[0]!.room_id;
  let surveyed: Survey | undefined;
  try {
    return await placingWrite(deps, roomId, async (tx) => {
      const held = new EventRows(tx);
      if (presume) held.presumeNew(events.map((e) => e.event_id));
      // The batch's reads go out with the survey's, as if every event were
      // to do (the usual case): one round trip to the store instead of two
      // (each awaited request is one over IndexedDB). Used only when every
      // event is to do; otherwise the batch is opened for those that are.
      const opening = handled(openBatch(tx, held, events));
      surveyed = await survey(held, events, version);
      const { todo, lacksAuth, lacksPrev } = surveyed;
      const opened = todo.length === events.length ? opening : undefined;
      // Every request issued is awaited before the transaction's function
      // returns (storage/port.ts): the reads of a batch not placed with them
      // too, whose failure (a room not held throws there) is then unused.
      if (!opened) await opening.catch(() => undefined);
      if (presume && (lacksAuth || lacksPrev)) return SURVEY_AGAIN;
      if (todo.length === 0 || lacksAuth || lacksPrev) return { survey: surveyed };
      const placed = await placeBatch(deps, tx, version, todo, new Map(), held, opened);
      // Placed while the signatures were checked: committed only if they all held.
      // This relies on the port's one rule (storage/port.ts): placing awaits only
      // this transaction's requests, or IndexedDB would have committed before here.
      if (signed && !(await tx.hold(signed()))) throw new NotSignedAfterAll();
      return { survey: surveyed, placed };
    });
  } catch (err) {
    if (err instanceof NotSignedAfterAll) throw err;
    // Nothing is placed one by one before the checks said yes (a failed batch may be unsigned).
    await mustBeSigned(signed);
    const { todo, lacksAuth, lacksPrev } = surveyed ?? {};
    if (err instanceof EventHeldAfterAll || !surveyed || !todo || lacksAuth || lacksPrev) throw err;
    if (todo.length === 0) return { survey: surveyed };
    return { survey: surveyed, placed: await placeOneByOne(deps, version, todo, new Map(), err) };
  }
}

/** `deps` whose calls to `origin` note whether one went unanswered (not refused: see ORIGIN_DID_NOT_ANSWER). */
function askingOrigin(deps: InboundDeps, origin: string) {
  let unanswered = false;
  const noted = <T>(server: string, call: Promise<T>) =>
    call.catch((err: unknown) => {
      if (server === origin && err instanceof RemoteCallError && !refused(err)) unanswered = true;
      throw err;
    });
  const client: FederationClient = {
    get: (server, path, query, timeoutMs) => noted(server, deps.client.get(server, path, query, timeoutMs)),
    put: (server, path, body, timeoutMs) => noted(server, deps.client.put(server, path, body, timeoutMs)),
    post: (server, path, body, timeoutMs) => noted(server, deps.client.post(server, path, body, timeoutMs)),
  };
  return { deps: { ...deps, client }, unanswered: () => unanswered };
}

/**
 * Steps b to d for a batch that lacks auth or prev events, which are asked
 * of `origin`: what is dropped after it went unanswered is
 * ORIGIN_DID_NOT_ANSWER.
 */
async function placeMissing(
  inbound: InboundDeps,
  origin: string,
  roomId: string,
  version: RoomVersion,
  todo: readonly RoomEvent[],
  lacksAuth: boolean,
  lacksPrev: boolean,
): Promise<Placed[]> {
  const asking = askingOrigin(inbound, origin);
  const { deps } = asking;
  const gap = lacksPrev ? await fillGaps(deps, origin, roomId, version, todo) : [];
  const all = topoSort([...gap, ...todo], (e) => e.prev_events);
  if (lacksAuth || gap.length > 0) await fetchMissingAuthEvents(deps, origin, version, all);
  const external = lacksPrev
    ? await statesOfMissingPrevs(deps, origin, roomId, version, all, MAX_STATE_LOOKUPS)
    : new Map();
  const placed = await placeAll(deps, version, all, external);
  if (!asking.unanswered()) return placed;
  return placed.map((p) => (p.error?.startsWith('dropped:') ? { ...p, error: ORIGIN_DID_NOT_ANSWER } : p));
}

/**
 * Step a, every row read at once: the results of events already placed, the
 * rest to do, and whether some of their auth events or prev events are
 * neither held (placed, for prev events) nor in the batch.
 */
async function survey(held: EventRows, events: readonly RoomEvent[], version: RoomVersion) {
  await held.prefetch(events.flatMap((e) => [e.event_id, ...e.prev_events, ...authEventIdsOf(e, version)]));
  const row = (id: string) => held.get(id);
  const results: PduResults = new Map();
  const todo: RoomEvent[] = [];
  for (const event of events) {
    const held = await row(event.event_id);
    if (heldWithPlace(held)) results.set(event.event_id, held.rejected && `rejected: ${held.rejected}`);
    else todo.push(event);
  }
  const inBatch = new Set(todo.map((e) => e.event_id));
  let lacksAuth = false;
  let lacksPrev = false;
  // The cited rows are mostly the same few: peeked without an await (event-checks.ts EventRows.peek).
  for (const event of todo) {
    for (const id of authEventIdsOf(event, version))
      if (!inBatch.has(id) && !(held.peek(id) ?? (await row(id)))) lacksAuth = true;
    for (const id of event.prev_events)
      if (!inBatch.has(id) && !heldWithPlace(held.peek(id) ?? (await row(id)))) lacksPrev = true;
  }
  return { results, todo, lacksAuth, lacksPrev };
}
