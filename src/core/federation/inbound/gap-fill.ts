// Missing prev_events (spec: "Checks performed on receipt of a PDU", step 5
// needs the state before the event, so its prev events; the spec's advice:
// POST /get_missing_events to the sending server). Bounded three ways, so a
// peer serving an endless chain cannot keep us fetching:
//  - depth window: nothing older than our own forward extremities is asked for;
//  - each request asks for at most `missingEventsPerRequest` events;
//  - one gap pulls at most `maxGapEvents` events, and each round must bring
//    new ones.
// Prev events still missing afterwards are taken as state (state-after.ts).
import type { JsonObject, RoomEvent, RoomVersion } from '../../protocol.ts';
import { eventRowOf, extremityIds, heldWithPlace, roomTableNames } from '../../rooms/federation-api.ts';
import type { ReadTx } from '../../storage/port.ts';
import { fedPath } from '../federation-client.ts';
import { acceptedPdus } from './auth-chain.ts';
import type { InboundDeps } from './inbound-deps.ts';

/** Prev events held with their place in the DAG count as known; outliers do not. */
export async function isPlaced(tx: ReadTx, eventId: string): Promise<boolean> {
  return heldWithPlace(await eventRowOf(tx, eventId));
}

/** Events of `events` with a prev event neither placed nor among `known`. */
async function frontier(
  tx: ReadTx,
  events: Iterable<RoomEvent>,
  known: ReadonlySet<string>,
): Promise<RoomEvent[]> {
  const out: RoomEvent[] = [];
  for (const event of events) {
    for (const prev of event.prev_events) {
      if (!known.has(prev) && !(await isPlaced(tx, prev))) {
        out.push(event);
        break;
      }
    }
  }
  return out;
}

/** Our forward extremities and the lowest depth among them (the depth window). */
async function ourEdge(tx: ReadTx, roomId: string): Promise<{ ids: string[]; minDepth: number }> {
  const ids = await extremityIds(tx, roomId);
  let minDepth = Number.MAX_SAFE_INTEGER;
  for (const id of ids) minDepth = Math.min(minDepth, (await eventRowOf(tx, id))?.depth ?? 0);
  return { ids, minDepth: ids.length === 0 ? 0 : minDepth };
}

/**
 * The events of `answer` that are ancestors of `open` through the answer
 * itself: a server may only answer with what was asked, not with other events.
 */
function ancestorsOf(open: readonly RoomEvent[], answer: readonly RoomEvent[]): RoomEvent[] {
  const byId = new Map(answer.map((e) => [e.event_id, e]));
  const wanted = open.flatMap((e) => e.prev_events);
  const out = new Map<string, RoomEvent>();
  while (wanted.length > 0) {
    const event = byId.get(wanted.pop()!);
    if (!event || out.has(event.event_id)) continue;
    out.set(event.event_id, event);
    wanted.push(...event.prev_events);
  }
  return [...out.values()];
}

/**
 * Fetches, from `origin`, the events between our forward extremities and the
 * batch's missing prev events. Returns them (checked for steps 1 to 3, not
 * yet placed), in no particular order.
 */
export async function fillGaps(
  deps: InboundDeps,
  origin: string,
  roomId: string,
  version: RoomVersion,
  batch: readonly RoomEvent[],
): Promise<RoomEvent[]> {
  const fetched = new Map<string, RoomEvent>();
  const known = new Set(batch.map((e) => e.event_id));
  const { limits } = deps;
  const { edge, open: first } = await deps.store.read(roomTableNames, async (tx) => ({
    edge: await ourEdge(tx, roomId),
    open: await frontier(tx, batch, known),
  }));
  let open = first;
  while (open.length > 0 && fetched.size < limits.maxGapEvents) {
    const body: JsonObject = {
      earliest_events: edge.ids,
      latest_events: open.slice(0, 20).map((e) => e.event_id),
      limit: Math.min(limits.missingEventsPerRequest, limits.maxGapEvents - fetched.size),
      min_depth: edge.minDepth,
    };
    let events: RoomEvent[];
    try {
      const res = await deps.client.post(
        origin,
        fedPath`/_matrix/federation/v1/get_missing_events/${roomId}`,
        body,
      );
      events = await acceptedPdus(deps, res.events, version, roomId, limits.missingEventsPerRequest);
    } catch (err) {
      deps.logger.info('get_missing_events failed', { origin, roomId, error: String(err) });
      break;
    }
    const fresh = await deps.store.read(roomTableNames, async (tx) => {
      const out: RoomEvent[] = [];
      for (const e of ancestorsOf(open, events)) {
        const wanted = !known.has(e.event_id) && e.depth >= edge.minDepth;
        if (wanted && !(await isPlaced(tx, e.event_id))) out.push(e);
      }
      return out;
    });
    if (fresh.length === 0) break;
    for (const event of fresh) {
      fetched.set(event.event_id, event);
      known.add(event.event_id);
    }
    open = await deps.store.read(roomTableNames, (tx) =>
      frontier(tx, [...batch, ...fetched.values()], known),
    );
  }
  return [...fetched.values()];
}
