// Spec (state resolution v2, "Auth chain" and "Auth difference"): the auth
// difference is ∪Cᵢ − ∩Cᵢ, where Cᵢ is the full auth chain of state map Sᵢ.
// Like Synapse, Cᵢ here also holds the events of Sᵢ themselves; that only
// changes whether already-conflicted events are counted twice.
//
// Cost: state maps share most of their events (every unconflicted one), so the
// closure of the shared events is walked once and each map's own walk stops
// at it. ∪Cᵢ − ∩Cᵢ is then the same set computed on the small per-map parts.
import type { StateKey } from '../types.ts';
import type { EventLoader } from './event-loader.ts';

/**
 * Every event reachable from `roots` through `auth_events`, roots included, walking
 * breadth-first so a storage-backed provider can load each level at once. Events the
 * provider does not have are left out and not walked through; ids in `stopAt` are neither
 * included nor walked through.
 */
export async function authClosure(
  roots: Iterable<string>,
  loader: EventLoader,
  stopAt: ReadonlySet<string> = new Set(),
): Promise<Set<string>> {
  const seen = new Set<string>();
  const found = new Set<string>();
  let frontier = [...new Set(roots)].filter((id) => !stopAt.has(id));
  for (const id of frontier) seen.add(id);
  while (frontier.length > 0) {
    await loader.loadAll(frontier);
    const next: string[] = [];
    for (const id of frontier) {
      const event = loader.peek(id);
      if (!event) continue;
      found.add(id);
      for (const authId of loader.authIds(event)) {
        if (seen.has(authId) || stopAt.has(authId)) continue;
        seen.add(authId);
        next.push(authId);
      }
    }
    frontier = next;
  }
  return found;
}

/** The auth chain of the given events: their auth events, recursively, without the events themselves. */
export async function authChain(eventIds: Iterable<string>, loader: EventLoader): Promise<Set<string>> {
  const roots = [...eventIds];
  const starts = new Set<string>();
  await loader.loadAll(roots);
  for (const id of roots) {
    const event = loader.peek(id);
    if (event) for (const authId of loader.authIds(event)) starts.add(authId);
  }
  return authClosure(starts, loader);
}

/** The auth difference of the state maps: events in some but not all of their full auth chains. */
export async function authDifference(
  stateSets: readonly ReadonlyMap<StateKey, string>[],
  loader: EventLoader,
): Promise<Set<string>> {
  if (stateSets.length < 2) return new Set();
  const shared = idsInEverySet(stateSets);
  const common = await authClosure(shared, loader);
  const parts = await Promise.all(
    stateSets.map((set) =>
      authClosure(
        [...set.values()].filter((id) => !shared.has(id)),
        loader,
        common,
      ),
    ),
  );
  return unionMinusIntersection(parts);
}

function idsInEverySet(stateSets: readonly ReadonlyMap<StateKey, string>[]): Set<string> {
  const counts = new Map<string, number>();
  for (const set of stateSets) {
    for (const id of new Set(set.values())) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const shared = new Set<string>();
  for (const [id, count] of counts) if (count === stateSets.length) shared.add(id);
  return shared;
}

function unionMinusIntersection(parts: readonly Set<string>[]): Set<string> {
  const counts = new Map<string, number>();
  for (const part of parts) for (const id of part) counts.set(id, (counts.get(id) ?? 0) + 1);
  const difference = new Set<string>();
  for (const [id, count] of counts) if (count < parts.length) difference.add(id);
  return difference;
}

/**
 * Spec (room version 12, "Conflicted state subgraph"): the events on every
 * auth_events path from one event of the conflicted state set to another,
 * endpoints included; that is, the events of the conflicted events' auth
 * closure from which some conflicted event is reachable. These are what the
 * iterative auth checks need to re-authorise the conflicted events from
 * empty state (v2.1), so a peer cannot make one side's history count less.
 */
export async function conflictedSubgraph(
  conflicted: ReadonlySet<string>,
  loader: EventLoader,
): Promise<Set<string>> {
  const closure = await authClosure(conflicted, loader);
  // Kahn's order over the closure, auth events first, so each event's answer
  // is known from its auth events' (event ids are hashes: no cycles).
  const waiting = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  const ready: string[] = [];
  for (const id of closure) {
    const authIds = [...new Set(loader.authIds(loader.peek(id)!))].filter((a) => closure.has(a));
    waiting.set(id, authIds.length);
    if (authIds.length === 0) ready.push(id);
    for (const authId of authIds) {
      const list = dependents.get(authId);
      if (list) list.push(id);
      else dependents.set(authId, [id]);
    }
  }
  const reaches = new Set<string>();
  for (let id = ready.pop(); id !== undefined; id = ready.pop()) {
    const event = loader.peek(id)!;
    if (conflicted.has(id) || loader.authIds(event).some((a) => reaches.has(a))) reaches.add(id);
    for (const dependent of dependents.get(id) ?? []) {
      const left = waiting.get(dependent)! - 1;
      waiting.set(dependent, left);
      if (left === 0) ready.push(dependent);
    }
  }
  return reaches;
}
