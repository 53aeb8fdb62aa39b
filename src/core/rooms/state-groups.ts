// State groups (see tables.ts): immutable room states stored as a snapshot
// plus a chain of small deltas. Reading walks back to the snapshot; writing
// adds a delta, or a fresh snapshot once the chain is SNAPSHOT_INTERVAL long.
import type { ReadTx, WriteTx } from '../storage/port.ts';
import { type StateKey, splitStateKey, stateKeyOf } from '../protocol/types.ts';
import { SNAPSHOT_INTERVAL, type StateEntry, type StateGroupRow, stateGroupsTable } from './tables.ts';

/** Room state as (type, state_key) → event id. */
export type StateIds = Map<StateKey, string>;

/** Rows read during one request: groups are immutable, so a per-request cache is always right. */
export type GroupCache = Map<number, StateGroupRow>;

async function groupRow(tx: ReadTx, id: number, cache?: GroupCache): Promise<StateGroupRow> {
  const cached = cache?.get(id);
  if (cached) return cached;
  const row = await stateGroupsTable.get(tx, id);
  if (!row) throw new Error(`state group ${id} is missing`);
  cache?.set(id, row);
  return row;
}

/** The full state of a group. */
export async function loadStateGroup(tx: ReadTx, id: number, cache?: GroupCache): Promise<StateIds> {
  const chain: StateGroupRow[] = [];
  let row = await groupRow(tx, id, cache);
  chain.push(row);
  while (row.prev !== undefined) {
    row = await groupRow(tx, row.prev, cache);
    chain.push(row);
  }
  const state: StateIds = new Map();
  for (let i = chain.length - 1; i >= 0; i--) {
    for (const [type, stateKey, eventId] of chain[i]!.delta) state.set(stateKeyOf(type, stateKey), eventId);
  }
  return state;
}

/** One entry of a group's state, walking back only until it is found. */
export async function stateEntryIn(
  tx: ReadTx,
  id: number,
  type: string,
  stateKey: string,
  cache?: GroupCache,
): Promise<string | undefined> {
  let row: StateGroupRow | undefined = await groupRow(tx, id, cache);
  while (row) {
    for (const [t, k, eventId] of row.delta) if (t === type && k === stateKey) return eventId;
    row = row.prev === undefined ? undefined : await groupRow(tx, row.prev, cache);
  }
  return undefined;
}

/** Stores a snapshot of `state` and returns its id. */
export async function writeSnapshot(tx: WriteTx, roomId: string, state: StateIds): Promise<number> {
  const delta: StateEntry[] = [...state].map(([key, eventId]) => [...splitStateKey(key), eventId]);
  return (await stateGroupsTable.put(tx, {
    room_id: roomId,
    chain: 0,
    delta,
  } satisfies StateGroupRow)) as number;
}

/**
 * Stores the state of group `prev` with `changes` applied (prev undefined: the
 * empty state) and returns the new group's id.
 */
export async function writeStateGroup(
  tx: WriteTx,
  roomId: string,
  prev: number | undefined,
  changes: readonly StateEntry[],
): Promise<number> {
  if (prev === undefined) {
    return writeSnapshot(tx, roomId, new Map(changes.map(([t, k, id]) => [stateKeyOf(t, k), id])));
  }
  const parent = await groupRow(tx, prev);
  if (parent.chain + 1 >= SNAPSHOT_INTERVAL) {
    const state = await loadStateGroup(tx, prev);
    for (const [t, k, id] of changes) state.set(stateKeyOf(t, k), id);
    return writeSnapshot(tx, roomId, state);
  }
  const row: StateGroupRow = { room_id: roomId, prev, chain: parent.chain + 1, delta: [...changes] };
  return (await stateGroupsTable.put(tx, row)) as number;
}
