// Auth events we lack (spec: "Checks performed on receipt of a PDU", step 4
// needs the auth events): fetched from the server that sent the event with
// GET /event_auth, each checked (steps 1 to 4 against its own auth events)
// and stored as an outlier, rejected ones remembered as rejected.
import { type JsonValue, type RoomEvent, type RoomVersion, authEventIdsOf } from '../../protocol.ts';
import {
  eventHeld,
  eventRowOf,
  roomTableNames,
  roomWriteTables,
  storeOutlier,
} from '../../rooms/federation-api.ts';
import type { ReadTx } from '../../storage/port.ts';
import { EventRows, MissingAuthEvents, checkOwnAuthEvents } from '../event-checks.ts';
import { MAX_AUTH_CHAIN } from '../event-graph.ts';
import { fedPath } from '../federation-client.ts';
import { intakeAll } from '../pdu-intake.ts';
import { topoSort } from '../topo-sort.ts';
import type { InboundDeps } from './inbound-deps.ts';

/** Auth chains asked for one batch: beyond, events lacking auth events are dropped. */
const MAX_AUTH_FETCHES = 20;

/** The events of a JSON array that pass steps 1 to 3 (at most `max`), the others logged. */
export async function acceptedPdus(
  deps: Pick<InboundDeps, 'logger' | 'ed25519'>,
  list: JsonValue | undefined,
  version: RoomVersion,
  roomId: string,
  max: number,
): Promise<RoomEvent[]> {
  if (!Array.isArray(list)) return [];
  const intakes = await intakeAll(deps.ed25519, list.slice(0, max), version, roomId);
  const out: RoomEvent[] = [];
  for (const intake of intakes) {
    if (intake.ok) out.push(intake.event);
    else deps.logger.info('dropped an event from a peer', { eventId: intake.eventId, reason: intake.reason });
  }
  return out;
}

/**
 * Ids among `ids` that are not held: asked all at once and without reading
 * rows (a 1,000-member state and its auth chain are thousands of ids, and
 * IndexedDB answers requests issued together much faster than one by one).
 */
export async function unheld(tx: ReadTx, ids: Iterable<string>): Promise<string[]> {
  const unique = [...new Set(ids)];
  const held = await Promise.all(unique.map((id) => eventHeld(tx, id)));
  return unique.filter((_, i) => !held[i]);
}

/**
 * Checks each event against its own auth events (step 4), auth events first,
 * and stores it as an outlier (rejected when it fails). Events whose auth
 * events are still missing are left out.
 */
export async function storeAuthEvents(deps: InboundDeps, version: RoomVersion, events: readonly RoomEvent[]) {
  if (events.length === 0) return;
  const ordered = topoSort(events, (e) => authEventIdsOf(e, version));
  await deps.store.write(roomWriteTables, async (tx) => {
    for (const event of ordered) {
      if (await eventRowOf(tx, event.event_id)) continue;
      try {
        const verdict = await checkOwnAuthEvents(new EventRows(tx), event, version);
        await storeOutlier(tx, event, verdict.ok ? {} : { rejected: `4: ${verdict.reason}` });
      } catch (err) {
        if (!(err instanceof MissingAuthEvents)) throw err;
        deps.logger.info('an auth event lacks its own auth events', { eventId: event.event_id });
      }
    }
  });
}

/**
 * Step 4's prerequisite for a batch: for each event citing auth events that
 * are neither held nor in the batch, its auth chain from `origin`
 * (GET /event_auth/{roomId}/{eventId}). Failures are logged: such an event
 * is dropped later, not rejected, as the chain may come another time.
 */
export async function fetchMissingAuthEvents(
  deps: InboundDeps,
  origin: string,
  version: RoomVersion,
  batch: readonly RoomEvent[],
): Promise<void> {
  const inBatch = new Set(batch.map((e) => e.event_id));
  const citedBy = (event: RoomEvent) => authEventIdsOf(event, version).filter((id) => !inBatch.has(id));
  const lacking = (ids: Iterable<string>) =>
    deps.store.read(roomTableNames, async (tx) => new Set(await unheld(tx, ids)));
  // What the whole batch lacks in one read (a backfilled page is a hundred
  // events, most citing the same few), read again after a fetch when needed.
  let missing = await lacking(batch.flatMap(citedBy));
  const lacks = (event: RoomEvent) => citedBy(event).some((id) => missing.has(id));
  let stale = false;
  let fetches = 0;
  for (const event of batch) {
    if (missing.size === 0 || fetches >= MAX_AUTH_FETCHES) return;
    if (!lacks(event)) continue;
    if (stale) {
      // The chain fetched for an event before may have brought this one's.
      missing = await lacking(missing);
      stale = false;
      if (!lacks(event)) continue;
    }
    fetches += 1;
    stale = true;
    try {
      const path = fedPath`/_matrix/federation/v1/event_auth/${event.room_id}/${event.event_id}`;
      const body = await deps.client.get(origin, path);
      const chain = await acceptedPdus(deps, body.auth_chain, version, event.room_id, MAX_AUTH_CHAIN);
      await storeAuthEvents(deps, version, chain);
    } catch (err) {
      deps.logger.info('could not fetch auth events', {
        origin,
        eventId: event.event_id,
        error: String(err),
      });
    }
  }
}
