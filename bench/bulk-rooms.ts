// Rooms full of messages, written in bulk for the benches whose figure is not
// the loading (memory over 100 rooms × 1,000 events, the worker's heap): each
// room is made as POST /createRoom makes it (the same drafts, the same
// RoomWriter.create building, signing and checking every event on the one
// before), with its messages appended to the creation's drafts, so one room is
// one write transaction instead of a thousand sends. The events are those
// the API would store; only their timestamps are the room's creation time.
// Through the API, 100,000 sends took about 12 minutes at a load average of
// 15 here; this way about a minute.
import { Notifier } from '../src/core/events/notifier.ts';
import { DEFAULT_ROOM_VERSION, P2P_KEY_ID, ed25519Signer, roomVersion } from '../src/core/protocol.ts';
import { createRoomDrafts } from '../src/core/rooms/create-room-plan.ts';
import type { EventDraft } from '../src/core/rooms/event-builder.ts';
import { RoomWriter } from '../src/core/rooms/room-writer.ts';
import type { Store } from '../src/core/storage/port.ts';
import { homeserverDeps } from '../test/support/homeserver-deps.ts';
import { ed25519 } from '../test/support/ed25519.ts';

/**
 * `rooms` private rooms created by `creator` (a registered local user), each
 * with `messages` messages from them; the room ids in creation order. Write
 * nothing else into `store` meanwhile (this writer's room locks are its own).
 */
export async function bulkRooms(
  store: Store,
  creator: string,
  rooms: number,
  messages: number,
): Promise<string[]> {
  const deps = await homeserverDeps(store);
  const writer = new RoomWriter({
    store,
    clock: deps.clock,
    notifier: new Notifier(),
    serverName: deps.serverName,
    signer: ed25519Signer(ed25519, deps.serverName, P2P_KEY_ID, deps.signingSeed),
  });
  const version = roomVersion(DEFAULT_ROOM_VERSION)!;
  const ids: string[] = [];
  for (let r = 0; r < rooms; r++) {
    const drafts: EventDraft[] = createRoomDrafts({
      creator,
      version,
      preset: 'private_chat',
      name: `room ${r}`,
      invite: [],
      initialState: [],
      isDirect: false,
      profiles: new Map(),
    });
    for (let e = 0; e < messages; e++)
      drafts.push({
        type: 'm.room.message',
        sender: creator,
        content: { msgtype: 'm.text', body: `event ${e} in room ${r}` },
      });
    const [create] = await writer.create(undefined, version, drafts);
    ids.push(create!.room_id);
  }
  return ids;
}
