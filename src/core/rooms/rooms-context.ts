// The objects every room endpoint shares: its deps, the one writer (whose
// per-room locks must be shared by all writers of a store) and room
// federation once connected. createRooms (rooms.ts) makes one per homeserver;
// nothing looks it up by store.
import type { FederationForRooms, RoomDeps } from './deps.ts';
import { RoomWriter } from './room-writer.ts';

export interface RoomsContext {
  readonly deps: RoomDeps;
  readonly writer: RoomWriter;
  /** Room federation, once the composition root connected it; undefined on a server without a network. */
  federation(): FederationForRooms | undefined;
}

/** A new context, with its own writer (make one per store: createRooms does), and the slot federation connects to. */
export function createRoomsContext(deps: RoomDeps): RoomsContext & { connect(f: FederationForRooms): void } {
  let federation: FederationForRooms | undefined;
  return {
    deps,
    writer: new RoomWriter(deps, () => federation?.localEvents),
    federation: () => federation,
    connect: (f) => {
      federation = f;
    },
  };
}
