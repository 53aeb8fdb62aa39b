// The state after a prev event we could not get (spec: "Checks performed on
// receipt of a PDU", step 5: "the server may request the state of the room
// at the missing prev event with /state_ids and fetch what it lacks"):
// GET /state_ids gives the state before the prev event and its auth chain
// (each list as long as a send_join answer's may be: a room of a thousand
// members has a state of a thousand events); the events we do not hold come
// one by one from /event when they are few, else whole from GET /state in
// one request (as Synapse does when more than a tenth are missing), each
// checked (steps 1 to 4) and stored as an outlier; the prev event itself is
// added when it is a state event. Rejected events are left out of the
// state. Only the events we lacked are taken from a /state answer, at most
// `maxStateFetch` of them.
import {
  type JsonValue,
  type RoomEvent,
  type RoomVersion,
  type StateKey,
  stateKeyOf,
} from '../../protocol.ts';
import { type StateIds, currentStateGroup, eventRowOf, roomTableNames } from '../../rooms/federation-api.ts';
import { MAX_AUTH_CHAIN } from '../event-graph.ts';
import { fedPath } from '../federation-client.ts';
import { type ParsedPdu, parsePdu, verifyPdu } from '../pdu-intake.ts';
import { acceptedPdus, storeAuthEvents, unheld } from './auth-chain.ts';
import { isPlaced } from './gap-fill.ts';
import type { InboundDeps } from './inbound-deps.ts';

const FETCH_CONCURRENCY = 8;
/** More events missing than this come from one GET /state rather than one /event each. */
const FETCH_ONE_BY_ONE = 2 * FETCH_CONCURRENCY;

function idList(value: JsonValue | undefined, max: number): string[] | undefined {
  if (!Array.isArray(value) || value.length > max) return undefined;
  return value.filter((id): id is string => typeof id === 'string');
}

/** GET /_matrix/federation/v1/event/{eventId} from origin, checked (steps 1 to 3); undefined when unusable. */
async function fetchEvent(
  deps: InboundDeps,
  origin: string,
  roomId: string,
  version: RoomVersion,
  eventId: string,
): Promise<RoomEvent | undefined> {
  try {
    const res = await deps.client.get(origin, fedPath`/_matrix/federation/v1/event/${eventId}`);
    const [event] = await acceptedPdus(deps, res.pdus, version, roomId, 1);
    return event?.event_id === eventId ? event : undefined;
  } catch (err) {
    deps.logger.info('could not fetch an event', { origin, eventId, error: String(err) });
    return undefined;
  }
}

async function fetchEvents(
  deps: InboundDeps,
  origin: string,
  roomId: string,
  version: RoomVersion,
  ids: readonly string[],
  at: string,
): Promise<RoomEvent[]> {
  if (ids.length > FETCH_ONE_BY_ONE) return fetchFromState(deps, origin, roomId, version, ids, at);
  const out: RoomEvent[] = [];
  for (let i = 0; i < ids.length; i += FETCH_CONCURRENCY) {
    const chunk = ids.slice(i, i + FETCH_CONCURRENCY);
    const got = await Promise.all(chunk.map((id) => fetchEvent(deps, origin, roomId, version, id)));
    for (const event of got) if (event) out.push(event);
  }
  return out;
}

/**
 * The events `ids` (the prev event `at` among them, or of the state before
 * it and its auth chain) from `origin`'s GET /state at `at`, checked (steps
 * 1 to 3); the answer's other events are not even parsed.
 */
async function fetchFromState(
  deps: InboundDeps,
  origin: string,
  roomId: string,
  version: RoomVersion,
  ids: readonly string[],
  at: string,
): Promise<RoomEvent[]> {
  let res: Awaited<ReturnType<InboundDeps['client']['get']>>;
  try {
    res = await deps.client.get(origin, fedPath`/_matrix/federation/v1/state/${roomId}`, { event_id: at });
  } catch (err) {
    deps.logger.info('state failed', { origin, roomId, at, error: String(err) });
    return [];
  }
  const wanted = new Set(ids);
  const raws: JsonValue[] = [];
  for (const list of [res.pdus, res.auth_chain]) {
    if (!Array.isArray(list) || list.length > MAX_AUTH_CHAIN) return [];
    raws.push(...list);
  }
  // Step 1 gives each its id; the costly signature checks only for those we lack.
  const parsed = await Promise.all(raws.map((raw) => parsePdu(raw, version, roomId)));
  const lacked = new Map<string, ParsedPdu>();
  for (const p of parsed)
    if (p.ok && wanted.has(p.parsed.event.event_id)) lacked.set(p.parsed.event.event_id, p.parsed);
  const got: RoomEvent[] = [];
  for (const intake of await Promise.all(
    [...lacked.values()].map((p) => verifyPdu(deps.ed25519, p, version)),
  )) {
    if (intake.ok) got.push(intake.event);
    else deps.logger.info('dropped an event from a peer', { eventId: intake.eventId, reason: intake.reason });
  }
  // The prev event itself is not in the state before it: one /event.
  if (wanted.has(at) && !lacked.has(at)) {
    const prev = await fetchEvent(deps, origin, roomId, version, at);
    if (prev) got.push(prev);
  }
  return got;
}

/** The state after `prevId` as `origin` knows it; undefined when it cannot be had. */
export async function fetchStateAfter(
  deps: InboundDeps,
  origin: string,
  roomId: string,
  version: RoomVersion,
  prevId: string,
): Promise<StateIds | undefined> {
  const max = deps.limits.maxStateFetch;
  let stateIds: string[] | undefined;
  let authIds: string[] | undefined;
  try {
    const res = await deps.client.get(origin, fedPath`/_matrix/federation/v1/state_ids/${roomId}`, {
      event_id: prevId,
    });
    stateIds = idList(res.pdu_ids, MAX_AUTH_CHAIN);
    authIds = idList(res.auth_chain_ids, MAX_AUTH_CHAIN);
  } catch (err) {
    deps.logger.info('state_ids failed', { origin, roomId, prevId, error: String(err) });
    return undefined;
  }
  if (!stateIds || !authIds) return undefined;
  // Most of a past state is in the room's current one (a thousand members'
  // events in a big room), whose entries are this room's accepted state
  // events, held: those ids are not asked of the store, and their keys come
  // from there (an event's key never changes, so after the fetch too); only
  // the others' rows are read (all at once).
  const { keyOf, wanted } = await deps.store.read(roomTableNames, async (tx) => {
    const group = await currentStateGroup(tx, roomId);
    const keyOf = new Map<string, StateKey>();
    if (group !== undefined) for (const [key, id] of await deps.stateCache.get(tx, group)) keyOf.set(id, key);
    const wanted = await unheld(
      tx,
      [...authIds, ...stateIds, prevId].filter((id) => !keyOf.has(id)),
    );
    return { keyOf, wanted };
  });
  if (wanted.length > max) return undefined;
  await storeAuthEvents(deps, version, await fetchEvents(deps, origin, roomId, version, wanted, prevId));
  return deps.store.read(roomTableNames, async (tx) => {
    const ids = [...stateIds, prevId];
    const rows = await Promise.all(ids.map((id) => (keyOf.has(id) ? undefined : eventRowOf(tx, id))));
    const state: StateIds = new Map();
    for (const [i, id] of ids.entries()) {
      const key = keyOf.get(id);
      const row = rows[i];
      if (key !== undefined) state.set(key, id);
      else if (row && row.room_id === roomId && row.rejected === undefined && row.state_key !== undefined)
        state.set(stateKeyOf(row.type, row.state_key), id);
    }
    return keyOf.has(prevId) || rows.at(-1) ? state : undefined;
  });
}

/**
 * The state after each prev event of `events` that is neither placed nor
 * among them (fetched from `origin` as state), for at most `maxLookups` of
 * them: what a batch from a peer, or a backfilled page, is checked against.
 */
export async function statesOfMissingPrevs(
  deps: InboundDeps,
  origin: string,
  roomId: string,
  version: RoomVersion,
  events: readonly RoomEvent[],
  maxLookups: number,
): Promise<Map<string, StateIds>> {
  const given = new Set(events.map((e) => e.event_id));
  const missing = await deps.store.read(roomTableNames, async (tx) => {
    const out = new Set<string>();
    for (const event of events)
      for (const prev of event.prev_events)
        if (!given.has(prev) && !(await isPlaced(tx, prev))) out.add(prev);
    return out;
  });
  const states = new Map<string, StateIds>();
  for (const prev of [...missing].slice(0, maxLookups)) {
    const state = await fetchStateAfter(deps, origin, roomId, version, prev);
    if (state) states.set(prev, state);
  }
  return states;
}
