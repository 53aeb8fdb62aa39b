// Checking what a resident server answers to send_join (spec: server-server
// API "Joining Rooms": the joining server must check every event of `state`
// and `auth_chain` — signatures, hashes, and auth against its auth events —
// and that the join passes auth against the state). A resident server is a
// peer like any other: nothing it says is taken on trust.
import {
  type JsonObject,
  type RoomEvent,
  type RoomVersion,
  type StateKey,
  authEventIdsOf,
  checkAuth,
  stateKeyOf,
} from '../protocol.ts';
import type { JoinedRoomState } from '../rooms/federation-api.ts';
import type { InboundDeps } from './inbound/inbound-deps.ts';
import { authEventsVerdict } from './event-checks.ts';
import { MAX_AUTH_CHAIN } from './event-graph.ts';
import { acceptedPdus } from './inbound/auth-chain.ts';
import { topoSort } from './topo-sort.ts';

/** The send_join answer could not be trusted; try another server. */
export class BadJoinResponse extends Error {
  override readonly name = 'BadJoinResponse';
}

/**
 * 1. Steps 1 to 3 (format, signatures, hashes) on every event of state and auth_chain.
 * 2. Step 4 on each, auth events first; rejected ones are dropped, and so is
 *    everything citing them (rule 2.3).
 * 3. The state: one event per (type, state_key), with the room's m.room.create
 *    of the expected version.
 * 4. The join passes auth against its auth events and against that state.
 */
export async function checkJoinResponse(
  deps: Pick<InboundDeps, 'logger' | 'ed25519'>,
  body: JsonObject,
  version: RoomVersion,
  join: RoomEvent,
): Promise<JoinedRoomState> {
  const roomId = join.room_id;
  // 1.
  const state = await acceptedPdus(deps, body.state, version, roomId, MAX_AUTH_CHAIN);
  const chain = await acceptedPdus(deps, body.auth_chain, version, roomId, MAX_AUTH_CHAIN);
  const all = new Map<string, RoomEvent>([...chain, ...state].map((e) => [e.event_id, e]));
  // 2.
  const rejected = new Set<string>();
  for (const event of topoSort([...all.values()], (e) => authEventIdsOf(e, version))) {
    const authEvents = authEventIdsOf(event, version).map((id) => all.get(id));
    const verdict = authEvents.every((e) => e !== undefined)
      ? authEventsVerdict(event, authEvents as RoomEvent[], version, (id) => rejected.has(id))
      : { ok: false as const, reason: 'auth events missing from the answer' };
    if (!verdict.ok) {
      rejected.add(event.event_id);
      deps.logger.info('send_join answer carried an event failing auth', {
        eventId: event.event_id,
        reason: verdict.reason,
      });
    }
  }
  for (const id of rejected) all.delete(id);
  // 3.
  const stateMap = new Map<StateKey, string>();
  for (const event of state) {
    if (rejected.has(event.event_id) || event.state_key === undefined) continue;
    const key = stateKeyOf(event.type, event.state_key);
    if (stateMap.has(key) && stateMap.get(key) !== event.event_id)
      throw new BadJoinResponse(`two state events for ${event.type}`);
    stateMap.set(key, event.event_id);
  }
  const createId = stateMap.get(stateKeyOf('m.room.create', ''));
  const create = createId === undefined ? undefined : all.get(createId);
  if (!create) throw new BadJoinResponse('the state has no valid m.room.create event');
  if ((create.content.room_version ?? '1') !== version.id)
    throw new BadJoinResponse('the room version does not match');
  // 4.
  const own = authEventIdsOf(join, version).map((id) => all.get(id));
  if (!own.every((e) => e !== undefined))
    throw new BadJoinResponse('the join cites auth events the answer lacks');
  const ownVerdict = authEventsVerdict(join, own as RoomEvent[], version, () => false);
  if (!ownVerdict.ok) throw new BadJoinResponse(`the join fails auth: ${ownVerdict.reason}`);
  const lookup = (type: string, key: string) => {
    const id = stateMap.get(stateKeyOf(type, key));
    return id === undefined ? undefined : all.get(id);
  };
  const verdict = checkAuth(join, lookup, version);
  if (!verdict.ok) throw new BadJoinResponse(`the join fails auth against the state: ${verdict.reason}`);
  all.delete(join.event_id);
  return { version, create, state: stateMap, events: [...all.values()], join };
}
