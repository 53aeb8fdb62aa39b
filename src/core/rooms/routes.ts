// Every room endpoint of the client-server API, for the homeserver to compose.
import type { Route } from '../http/route.ts';
import { context } from './context-route.ts';
import { createRoom } from './create-room.ts';
import { directoryRoutes } from './directory-routes.ts';
import { membershipRoutes } from './membership-routes.ts';
import { messagesWithBackfill } from './messages-route.ts';
import { readRoutes } from './read-routes.ts';
import { relations } from './relations-route.ts';
import { type ReadHandler, readRoute } from './route-helpers.ts';
import type { RoomsContext } from './rooms-context.ts';
import { reportRoutes } from './reports.ts';
import { search } from './search-route.ts';
import { sendRoutes } from './send-routes.ts';
import { summaryRoutes } from './summary-routes.ts';
import { threads } from './threads-route.ts';
import { upgradeRoom } from './upgrade-room.ts';
import { hierarchy } from './hierarchy-route.ts';
import { bodyRoute } from './route-helpers.ts';
import { timestampRoute } from './timestamp-route.ts';

export type { RoomDeps } from './deps.ts';

const V3 = '/_matrix/client/v3';
const V1 = '/_matrix/client/v1';

export function roomRoutes(rooms: RoomsContext): Route[] {
  return [
    {
      method: 'POST',
      path: `${V3}/createRoom`,
      auth: 'required',
      rateLimit: 'room_create',
      handler: (ctx) => createRoom(rooms, ctx),
    },
    bodyRoute('POST', `${V3}/rooms/{roomId}/upgrade`, (ctx) => upgradeRoom(rooms, ctx)),
    bodyRoute('GET', `${V1}/rooms/{roomId}/hierarchy`, (ctx) => hierarchy(rooms, ctx)),
    ...membershipRoutes(rooms),
    ...sendRoutes(rooms),
    ...readRoutes(rooms),
    ...historyRoutes(rooms),
    ...directoryRoutes(rooms),
    ...reportRoutes(rooms),
    ...summaryRoutes(rooms),
    {
      method: 'POST',
      path: `${V3}/search`,
      auth: 'required',
      handler: async (ctx) => ({ body: await search(rooms, ctx) }),
    },
  ];
}

function historyRoutes(rooms: RoomsContext): Route[] {
  const get = (path: string, handler: ReadHandler) => readRoute(rooms, path, handler);
  return [
    {
      method: 'GET',
      path: `${V3}/rooms/{roomId}/messages`,
      auth: 'required',
      handler: async (ctx) => ({ body: await messagesWithBackfill(rooms, ctx) }),
    },
    get(`${V3}/rooms/{roomId}/context/{eventId}`, context),
    get(`${V1}/rooms/{roomId}/relations/{eventId}`, relations),
    get(`${V1}/rooms/{roomId}/relations/{eventId}/{relType}`, relations),
    get(`${V1}/rooms/{roomId}/relations/{eventId}/{relType}/{eventType}`, relations),
    timestampRoute(rooms),
    get(`${V1}/rooms/{roomId}/threads`, threads),
  ];
}
