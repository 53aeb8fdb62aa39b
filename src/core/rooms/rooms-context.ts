// The objects every room endpoint shares: its deps and the one writer (whose
// per-room locks must be shared by all writers of a store).
import type { RoomDeps } from './deps.ts';
import { RoomWriter } from './room-writer.ts';

export interface RoomsContext {
  readonly deps: RoomDeps;
  readonly writer: RoomWriter;
}

const writers = new WeakMap<object, RoomWriter>();

/** The context for a set of deps; one writer per store, however many times routes are made. */
export function roomsContext(deps: RoomDeps): RoomsContext {
  let writer = writers.get(deps.store);
  if (!writer) {
    writer = new RoomWriter(deps);
    writers.set(deps.store, writer);
  }
  return { deps, writer };
}
