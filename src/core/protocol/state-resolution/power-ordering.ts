// Spec (state resolution v2, "Power events" and "Reverse topological power
// ordering"): power events are the ones that may take abilities away; they
// are ordered along the auth DAG, earliest first, choosing among ready events
// the sender with the greatest power level, then the smallest
// origin_server_ts, then the smallest event_id (Kahn's algorithm).
import type { RoomVersion } from '../room-version.ts';
import {
  CREATOR_POWER_LEVEL,
  type PowerLevels,
  parsePowerLevels,
  roomCreators,
  userLevelIn,
  userPowerLevel,
} from '../power-levels.ts';
import type { RoomEvent } from '../types.ts';
import type { EventLoader } from './event-loader.ts';
import { MinHeap } from './min-heap.ts';

/**
 * Power levels, join rules, and kicks or bans of someone else. The create event counts too,
 * as in Synapse and ruma: it only conflicts in broken rooms, and then it must sort first.
 */
export function isPowerEvent(event: RoomEvent): boolean {
  if (event.state_key === '') {
    if (event.type === 'm.room.power_levels' || event.type === 'm.room.join_rules') return true;
    if (event.type === 'm.room.create') return true;
  }
  if (event.type !== 'm.room.member' || event.state_key === undefined) return false;
  const membership = event.content.membership;
  return (membership === 'leave' || membership === 'ban') && event.sender !== event.state_key;
}

/**
 * The sender's power level according to the event's own auth events (spec: "when looking at
 * their respective auth_events"). Auth events must be loaded already; missing ones are
 * skipped. `parsed` memoises parsed power levels contents by event id across calls.
 */
export function senderPowerLevel(
  event: RoomEvent,
  loader: EventLoader,
  version: RoomVersion,
  parsed: Map<string, PowerLevels> = new Map(),
): number {
  let powerLevels: RoomEvent | undefined;
  let create: RoomEvent | undefined;
  for (const id of loader.authIds(event)) {
    const auth = loader.peek(id);
    if (auth?.state_key !== '') continue;
    if (auth.type === 'm.room.power_levels') powerLevels = auth;
    else if (auth.type === 'm.room.create') create = auth;
  }
  // v12: a creator's power is infinite whatever the power levels say.
  if (roomCreators(create, version).has(event.sender)) return CREATOR_POWER_LEVEL;
  if (!powerLevels) return userPowerLevel(event.sender, undefined, create, version);
  let levels = parsed.get(powerLevels.event_id);
  if (!levels) {
    levels = parsePowerLevels(powerLevels.content, version);
    parsed.set(powerLevels.event_id, levels);
  }
  return userLevelIn(event.sender, levels);
}

/**
 * Step 1 of the algorithm: the given power events together with the events of their auth
 * chains that are in the full conflicted set, in reverse topological power ordering. Like
 * Synapse and ruma, the auth chain is walked through events of the full conflicted set only.
 */
export async function reverseTopologicalPowerOrder(
  powerEventIds: Iterable<string>,
  fullConflictedSet: ReadonlySet<string>,
  loader: EventLoader,
  version: RoomVersion,
): Promise<string[]> {
  await loader.loadAll(fullConflictedSet);
  const graph = authGraphWithin(powerEventIds, fullConflictedSet, loader);
  const authIds = new Set<string>();
  for (const id of graph.keys()) for (const authId of loader.authIds(loader.peek(id)!)) authIds.add(authId);
  await loader.loadAll(authIds);
  const keys = new Map<string, OrderKey>();
  const parsed = new Map<string, PowerLevels>();
  for (const id of graph.keys()) {
    const event = loader.peek(id)!;
    keys.set(id, { id, power: senderPowerLevel(event, loader, version, parsed), ts: event.origin_server_ts });
  }
  return kahnOrder(graph, keys);
}

interface OrderKey {
  readonly id: string;
  readonly power: number;
  readonly ts: number;
}

/** x < y per the spec's comparison: greater power first, then smaller timestamp, then smaller id. */
function powerOrderLess(x: OrderKey, y: OrderKey): boolean {
  if (x.power !== y.power) return x.power > y.power;
  if (x.ts !== y.ts) return x.ts < y.ts;
  return x.id < y.id;
}

/** Event id → its auth events inside `within`, for the given events and what they reach inside `within`. */
function authGraphWithin(
  startIds: Iterable<string>,
  within: ReadonlySet<string>,
  loader: EventLoader,
): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const stack = [...startIds].filter((id) => loader.peek(id));
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (graph.has(id)) continue;
    const edges = [...new Set(loader.authIds(loader.peek(id)!))].filter(
      (a) => within.has(a) && loader.peek(a),
    );
    graph.set(id, edges);
    for (const authId of edges) if (!graph.has(authId)) stack.push(authId);
  }
  return graph;
}

/** Kahn's algorithm from the oldest events (no auth events in the graph), smallest ready key first. */
function kahnOrder(
  graph: ReadonlyMap<string, readonly string[]>,
  keys: ReadonlyMap<string, OrderKey>,
): string[] {
  const waitingOn = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  const ready = new MinHeap<OrderKey>(powerOrderLess);
  for (const [id, authIds] of graph) {
    waitingOn.set(id, authIds.length);
    if (authIds.length === 0) ready.push(keys.get(id)!);
    for (const authId of authIds) {
      const list = dependents.get(authId);
      if (list) list.push(id);
      else dependents.set(authId, [id]);
    }
  }
  const order: string[] = [];
  for (let next = ready.pop(); next; next = ready.pop()) {
    order.push(next.id);
    for (const dependent of dependents.get(next.id) ?? []) {
      const left = waitingOn.get(dependent)! - 1;
      waitingOn.set(dependent, left);
      if (left === 0) ready.push(keys.get(dependent)!);
    }
  }
  return order;
}
