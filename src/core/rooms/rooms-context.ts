// The objects every room endpoint shares: its deps and the one writer (whose
// per-room locks must be shared by all writers of a store). createRooms
// (rooms.ts) makes one per homeserver; nothing looks it up by store.
import type { RoomDeps } from './deps.ts';
import { RoomWriter } from './room-writer.ts';

export interface RoomsContext {
  readonly deps: RoomDeps;
  readonly writer: RoomWriter;
}

/** A new context, with its own writer: make one per store (createRooms does). */
export function createRoomsContext(deps: RoomDeps): RoomsContext {
  return { deps, writer: new RoomWriter(deps) };
}
