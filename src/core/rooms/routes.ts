// Every room endpoint of the client-server API, for the homeserver to compose.
import type { RequestContext, Route } from '../http/route.ts';
import type { ReadTx } from '../storage/port.ts';
import { context } from './context-route.ts';
import { createRoom } from './create-room.ts';
import type { RoomDeps } from './deps.ts';
import { directoryRoutes } from './directory-routes.ts';
import { membershipRoutes } from './membership-routes.ts';
import { messages } from './messages-route.ts';
import { readRoutes } from './read-routes.ts';
import { relations, timestampToEvent } from './relations-route.ts';
import { type RoomsContext, roomsContext } from './rooms-context.ts';
import { sendRoutes } from './send-routes.ts';
import { roomTableNames } from './tables.ts';

export type { RoomDeps } from './deps.ts';

const V3 = '/_matrix/client/v3';
const V1 = '/_matrix/client/v1';

export function roomRoutes(deps: RoomDeps): Route[] {
  const rooms = roomsContext(deps);
  return [
    { method: 'POST', path: `${V3}/createRoom`, auth: 'required', handler: (ctx) => createRoom(rooms, ctx) },
    ...membershipRoutes(rooms),
    ...sendRoutes(rooms),
    ...readRoutes(rooms),
    ...historyRoutes(rooms),
    ...directoryRoutes(rooms),
  ];
}

function historyRoutes(rooms: RoomsContext): Route[] {
  const get = (
    path: string,
    handler: (tx: ReadTx, ctx: RequestContext, now: number) => Promise<unknown>,
  ): Route => ({
    method: 'GET',
    path,
    auth: 'required',
    handler: async (ctx) => {
      const now = rooms.deps.clock.now();
      return { body: await rooms.deps.store.read(roomTableNames, (tx) => handler(tx, ctx, now)) };
    },
  });
  return [
    get(`${V3}/rooms/{roomId}/messages`, messages),
    get(`${V3}/rooms/{roomId}/context/{eventId}`, context),
    get(`${V1}/rooms/{roomId}/relations/{eventId}`, relations),
    get(`${V1}/rooms/{roomId}/relations/{eventId}/{relType}`, relations),
    get(`${V1}/rooms/{roomId}/relations/{eventId}/{relType}/{eventType}`, relations),
    get(`${V1}/rooms/{roomId}/timestamp_to_event`, timestampToEvent),
  ];
}
