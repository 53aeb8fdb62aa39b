// Full room states of state groups, kept for the next events: groups are
// immutable (rooms/tables.ts), so a cached state is never stale, and the
// events of one batch mostly share the group before them. Bounded (least
// recently used out), as one state may hold thousands of members. A write
// that fails takes the cache's states with it (`writing`): the groups it made
// were never committed, and their ids are given again.
import { type StateIds, stateOfGroup } from '../rooms/federation-api.ts';
import type { ReadTx } from '../storage/port.ts';

const DEFAULT_SIZE = 16;

export class StateCache {
  private readonly states = new Map<number, StateIds>();
  private readonly size: number;

  constructor(size = DEFAULT_SIZE) {
    this.size = size;
  }

  /** The state of a group, read through `tx` when not cached. Callers must not modify it. */
  async get(tx: ReadTx, group: number): Promise<ReadonlyMap<string, string>> {
    const cached = this.states.get(group);
    if (cached) {
      this.states.delete(group);
      this.states.set(group, cached);
      return cached;
    }
    const state = await stateOfGroup(tx, group);
    this.states.set(group, state);
    if (this.states.size > this.size) this.states.delete(this.states.keys().next().value!);
    return state;
  }

  /**
   * `write`, a write transaction that reads states through this cache. If it
   * fails, the cache forgets every state: one the failed write made under a
   * new group id was never committed, and the store gives that id again
   * (IndexedDB's key generator and SQLite's roll back with the transaction),
   * to another state, which a cached one would then stand for.
   */
  async writing<T>(write: Promise<T>): Promise<T> {
    try {
      return await write;
    } catch (err) {
      this.states.clear();
      throw err;
    }
  }
}
