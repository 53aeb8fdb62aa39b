// Searching the room directory for the popup, through the homeserver's own
// publicRooms (spec: "Room discovery"). With federation on, the homeserver
// answers it with the whole network's directory and tells, per room, which
// servers listed it (FOUND_ON); without, it lists its own rooms and the
// result says so.
import { FOUND_ON } from '../../src/core/public.ts';
import type { DirectoryResult, DirectoryRoom } from '../../src/platform/web/popup-messages.ts';
import { callHomeserver, type HomeserverHandle, type Json } from './hs-call.ts';
import type { AccountSession } from './local-account.ts';

const PATH = '/_matrix/client/v3/publicRooms';
const LIMIT = 100;

export const LOCAL_ONLY_REASON =
  'This server is not connected to the network yet: these are only its own published rooms.';

export interface RoomDirectoryDeps {
  readonly homeserver: Promise<HomeserverHandle & { readonly serverName: string }>;
  /** Whether the homeserver runs with a peer transport, so that publicRooms covers the network. */
  readonly federating: () => boolean;
  /** The local account's session: with it the server filters (POST); without, we filter here (GET). */
  readonly session: () => Promise<AccountSession | undefined>;
}

export interface RoomDirectory {
  search(term: string): Promise<DirectoryResult>;
}

export function createRoomDirectory(deps: RoomDirectoryDeps): RoomDirectory {
  return {
    async search(input) {
      const term = input.trim();
      const hs = await deps.homeserver;
      const session = await deps.session();
      const filter = term === '' ? {} : { filter: { generic_search_term: term } };
      const body = session
        ? await callHomeserver(hs, {
            method: 'POST',
            path: PATH,
            body: { limit: LIMIT, ...filter },
            accessToken: session.accessToken,
          })
        : await callHomeserver(hs, { method: 'GET', path: PATH, query: { limit: String(LIMIT) } });
      const chunk: Json[] = Array.isArray(body?.chunk) ? body.chunk : [];
      const rooms = chunk.map((room) => toDirectoryRoom(room, hs.serverName)).filter(matching(term));
      return deps.federating()
        ? { state: 'network', rooms }
        : { state: 'local', reason: LOCAL_ONLY_REASON, rooms };
    },
  };
}

/** The same test as the server's generic_search_term (name, alias, topic), for the unfiltered GET. */
function matching(term: string): (room: DirectoryRoom) => boolean {
  const needle = term.toLowerCase();
  return (room) =>
    needle === '' || [room.name, room.alias, room.topic].some((text) => text?.toLowerCase().includes(needle));
}

function toDirectoryRoom(room: Json, serverName: string): DirectoryRoom {
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  const listedBy: unknown = room[FOUND_ON];
  return {
    roomId: String(room.room_id),
    alias: text(room.canonical_alias),
    name: text(room.name),
    topic: text(room.topic),
    members: typeof room.num_joined_members === 'number' ? room.num_joined_members : 0,
    foundOn: Array.isArray(listedBy) && listedBy.length > 0 ? listedBy.map(String) : [serverName],
  };
}
