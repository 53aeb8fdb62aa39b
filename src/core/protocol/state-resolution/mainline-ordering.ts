// Spec (state resolution v2, "Mainline ordering"): the mainline of the
// resolved power levels event P₀ is P₀, the power levels event among its
// auth events, and so on. An event's mainline position is the index of the
// first mainline event met when walking the power levels events of its auth
// events (the event itself excluded), ∞ when none is met. Events sort by
// greater position first, then smaller origin_server_ts, then smaller event_id.
import type { RoomEvent } from '../types.ts';
import type { EventLoader } from './event-loader.ts';

/** Orders events by mainline ordering based on `powerLevelsId` (no power levels: empty mainline). */
export async function mainlineOrder(
  eventIds: Iterable<string>,
  powerLevelsId: string | undefined,
  loader: EventLoader,
): Promise<string[]> {
  const mainline = await mainlineOf(powerLevelsId, loader);
  const positions = new Map<string, number>(mainline);
  const keyed: { id: string; position: number; ts: number }[] = [];
  for (const id of new Set(eventIds)) {
    const event = await loader.load(id);
    if (!event) continue;
    const position = await positionFrom(await powerLevelsParent(event, loader), positions, loader);
    keyed.push({ id, position, ts: event.origin_server_ts });
  }
  keyed.sort((x, y) => {
    if (x.position !== y.position) return x.position > y.position ? -1 : 1;
    if (x.ts !== y.ts) return x.ts - y.ts;
    return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
  });
  return keyed.map((k) => k.id);
}

/** Mainline event id → its index (P₀ is 0). */
async function mainlineOf(
  powerLevelsId: string | undefined,
  loader: EventLoader,
): Promise<Map<string, number>> {
  const mainline = new Map<string, number>();
  let current = powerLevelsId;
  while (current !== undefined && !mainline.has(current)) {
    mainline.set(current, mainline.size);
    const event = await loader.load(current);
    current = event && (await powerLevelsParent(event, loader));
  }
  return mainline;
}

/**
 * Mainline position reached from the power levels event `start`. `known` holds the mainline
 * and every position found so far: walks from many events share their tails, so each power
 * levels event is walked once per resolution.
 */
async function positionFrom(
  start: string | undefined,
  known: Map<string, number>,
  loader: EventLoader,
): Promise<number> {
  const path = new Set<string>();
  let position = Number.POSITIVE_INFINITY;
  for (let current = start; current !== undefined && !path.has(current); ) {
    const found = known.get(current);
    if (found !== undefined) {
      position = found;
      break;
    }
    path.add(current);
    const event = await loader.load(current);
    current = event && (await powerLevelsParent(event, loader));
  }
  for (const id of path) known.set(id, position);
  return position;
}

/** The id of the m.room.power_levels event among the event's auth events, if any is known. */
async function powerLevelsParent(event: RoomEvent, loader: EventLoader): Promise<string | undefined> {
  await loader.loadAll(event.auth_events);
  return event.auth_events.find((id) => {
    const auth = loader.peek(id);
    return auth?.type === 'm.room.power_levels' && auth.state_key === '';
  });
}
