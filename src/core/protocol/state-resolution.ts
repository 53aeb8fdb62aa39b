// State resolution v2 (spec: room versions 2 to 11, "State resolution",
// rooms/fragments/v2-state-res) and v2.1 (room version 12, MSC4297). Pure over
// an async event provider: given the states after each prev event, computes
// the state before the new event.
//
// v2.1 differs in two places, both against "state resets" (a fork that makes
// the room forget a ban or a demotion because the unconflicted state trusted
// before the power events were replayed was not what they were authorised
// against): step 2 starts the iterative auth checks from empty state, and the
// full conflicted set also holds the conflicted state subgraph, the events
// those checks need to re-authorise the conflicted ones.
import type { RoomVersion } from './room-version.ts';
import { type StateKey, stateKeyOf } from './types.ts';
import { authDifference, conflictedSubgraph } from './state-resolution/auth-difference.ts';
import { EventLoader, type EventProvider } from './state-resolution/event-loader.ts';
import { iterativeAuthChecks } from './state-resolution/iterative-auth-checks.ts';
import { mainlineOrder } from './state-resolution/mainline-ordering.ts';
import { isPowerEvent, reverseTopologicalPowerOrder } from './state-resolution/power-ordering.ts';
import { conflictedEventIds, separateState } from './state-resolution/separate.ts';

export {
  authChain,
  authClosure,
  authDifference,
  conflictedSubgraph,
} from './state-resolution/auth-difference.ts';
export { EventLoader, type EventProvider } from './state-resolution/event-loader.ts';
export { iterativeAuthChecks } from './state-resolution/iterative-auth-checks.ts';
export { mainlineOrder } from './state-resolution/mainline-ordering.ts';
export {
  isPowerEvent,
  reverseTopologicalPowerOrder,
  senderPowerLevel,
} from './state-resolution/power-ordering.ts';
export { type SeparatedState, conflictedEventIds, separateState } from './state-resolution/separate.ts';

/**
 * Resolves state maps (state key → event id) with state resolution v2. Events the provider
 * cannot return are left out of the algorithm, as if they were not in the conflicted set.
 */
export async function resolveStateV2(
  stateSets: readonly ReadonlyMap<StateKey, string>[],
  provider: EventProvider,
  version: RoomVersion,
): Promise<Map<StateKey, string>> {
  if (version.stateResolution === 'v1') {
    throw new RangeError(`room version ${version.id} does not use state resolution v2`);
  }
  const v21 = version.stateResolution === 'v2.1';
  const { unconflicted, conflicted } = separateState(stateSets);
  if (conflicted.size === 0) return unconflicted;
  const loader = new EventLoader(provider, version);
  const full = await fullConflictedSet(stateSets, conflictedEventIds(conflicted), loader, v21);

  // 1. The power events of the full conflicted set, with the events of their auth chains
  //    that are in the full conflicted set, in reverse topological power ordering.
  const powerEvents = [...full].filter((id) => isPowerEvent(loader.peek(id)!));
  const powerOrder = await reverseTopologicalPowerOrder(powerEvents, full, loader, version);

  // 2. Iterative auth checks over them, starting from the unconflicted state map
  //    (v2.1: from empty state; each event's auth events fill in what it needs).
  const partial = await iterativeAuthChecks(v21 ? new Map() : unconflicted, powerOrder, loader, version);

  // 3. The remaining events, in mainline ordering based on the resolved power levels.
  const picked = new Set(powerOrder);
  const rest = [...full].filter((id) => !picked.has(id));
  const restOrder = await mainlineOrder(rest, partial.get(stateKeyOf('m.room.power_levels', '')), loader);

  // 4. Iterative auth checks over them, starting from the partially resolved state.
  const resolved = await iterativeAuthChecks(partial, restOrder, loader, version);

  // 5. The unconflicted state map wins over anything resolved for the same key.
  for (const [key, id] of unconflicted) resolved.set(key, id);
  return resolved;
}

/**
 * Spec "Full conflicted set": the conflicted state set and the auth difference (v2.1:
 * and the conflicted state subgraph), keeping only state events the provider returns.
 */
export async function fullConflictedSet(
  stateSets: readonly ReadonlyMap<StateKey, string>[],
  conflictedIds: ReadonlySet<string>,
  loader: EventLoader,
  withSubgraph = false,
): Promise<Set<string>> {
  const all = new Set([...conflictedIds, ...(await authDifference(stateSets, loader))]);
  if (withSubgraph) for (const id of await conflictedSubgraph(conflictedIds, loader)) all.add(id);
  await loader.loadAll(all);
  const full = new Set<string>();
  for (const id of all) if (loader.peek(id)?.state_key !== undefined) full.add(id);
  return full;
}
