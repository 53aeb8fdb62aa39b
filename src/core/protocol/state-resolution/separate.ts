// Spec (state resolution v2, "Unconflicted state map and conflicted state
// set"): a key whose value is the same event in every state map is
// unconflicted; every other (key, event) pair is conflicted. A key missing
// from some map is therefore conflicted, as in Synapse and ruma.
import type { StateKey } from '../types.ts';

export interface SeparatedState {
  /** Keys present in every state map with the same event id. */
  readonly unconflicted: Map<StateKey, string>;
  /** Every other key, with the distinct event ids the state maps give it. */
  readonly conflicted: Map<StateKey, Set<string>>;
}

/** Splits state maps into the unconflicted state map and the conflicted state set. */
export function separateState(stateSets: readonly ReadonlyMap<StateKey, string>[]): SeparatedState {
  const unconflicted = new Map<StateKey, string>();
  const conflicted = new Map<StateKey, Set<string>>();
  const seen = new Set<StateKey>();
  for (const set of stateSets) {
    for (const key of set.keys()) {
      if (seen.has(key)) continue;
      seen.add(key);
      const ids = new Set<string>();
      let inAll = true;
      for (const other of stateSets) {
        const id = other.get(key);
        if (id === undefined) inAll = false;
        else ids.add(id);
      }
      if (inAll && ids.size === 1) unconflicted.set(key, ids.values().next().value as string);
      else conflicted.set(key, ids);
    }
  }
  return { unconflicted, conflicted };
}

/** All event ids of the conflicted state set. */
export function conflictedEventIds(conflicted: ReadonlyMap<StateKey, ReadonlySet<string>>): Set<string> {
  const ids = new Set<string>();
  for (const values of conflicted.values()) for (const id of values) ids.add(id);
  return ids;
}
