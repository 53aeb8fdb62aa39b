// Room aliases and the room directory's visibility flag (spec: client-server
// API "Room aliases", "Room discovery").
import { MatrixError, forbidden, invalidParam, notFound } from '../errors.ts';
import { jsonObjectBody, requireEnum, requireString } from '../http/json-body.ts';
import { requireRoomAlias, requireRoomId } from '../http/matrix-ids.ts';
import type { RequestContext, Route } from '../http/route.ts';
import {
  parsePowerLevels,
  requiredPowerLevelForEvent,
  roomVersion,
  serverNameOf,
  userPowerLevel,
} from '../protocol.ts';
import type { ReadTx, WriteTx } from '../storage/port.ts';
import { publicRoomsGet, publicRoomsPost } from './public-rooms.ts';
import {
  callerOf,
  requireJoined,
  requireJoinedOrWorldReadable,
  requireRoom,
  roomIdParam,
} from './route-helpers.ts';
import type { RoomsContext } from './rooms-context.ts';
import { currentStateEvent } from './state-read.ts';
import { ALIASES, roomTableNames } from './tables.ts';
import { addAlias, aliasRow, aliasesOf, isPublished, memberRow, removeAlias, setPublished } from './rows.ts';

const V3 = '/_matrix/client/v3';

export function directoryRoutes(rooms: RoomsContext): Route[] {
  const { store } = rooms.deps;
  const read =
    (fn: (tx: ReadTx, ctx: RequestContext) => Promise<unknown>) => async (ctx: RequestContext) => ({
      body: await store.read(roomTableNames, (tx) => fn(tx, ctx)),
    });
  const write =
    (fn: (tx: WriteTx, ctx: RequestContext) => Promise<unknown>) => async (ctx: RequestContext) => ({
      body: await store.write(roomTableNames, (tx) => fn(tx, ctx)),
    });
  return [
    {
      method: 'GET',
      path: `${V3}/directory/room/{roomAlias}`,
      auth: 'none',
      handler: async (ctx) => ({ body: await getAlias(rooms, ctx) }),
    },
    {
      method: 'PUT',
      path: `${V3}/directory/room/{roomAlias}`,
      auth: 'required',
      handler: write((tx, ctx) => putAlias(tx, ctx, rooms.deps.serverName)),
    },
    {
      method: 'DELETE',
      path: `${V3}/directory/room/{roomAlias}`,
      auth: 'required',
      handler: write(deleteAlias),
    },
    { method: 'GET', path: `${V3}/rooms/{roomId}/aliases`, auth: 'required', handler: read(listAliases) },
    { method: 'GET', path: `${V3}/directory/list/room/{roomId}`, auth: 'none', handler: read(getVisibility) },
    {
      method: 'PUT',
      path: `${V3}/directory/list/room/{roomId}`,
      auth: 'required',
      handler: write(putVisibility),
    },
    {
      method: 'GET',
      path: `${V3}/publicRooms`,
      auth: 'none',
      handler: async (ctx) => ({ body: await publicRoomsGet(ctx, rooms) }),
    },
    {
      method: 'POST',
      path: `${V3}/publicRooms`,
      auth: 'required',
      handler: async (ctx) => ({ body: await publicRoomsPost(ctx, rooms) }),
    },
  ];
}

/** GET /_matrix/client/v3/directory/room/{roomAlias}: another server's aliases are asked over federation. */
async function getAlias(rooms: RoomsContext, ctx: RequestContext): Promise<unknown> {
  const alias = requireRoomAlias(ctx.params.roomAlias ?? '');
  const { remoteDirectory, serverName, store } = rooms.deps;
  if (remoteDirectory && serverNameOf(alias) !== serverName) {
    const found = await remoteDirectory.resolveAlias(alias);
    if (!found) throw notFound(`Room alias ${alias} not found`);
    return { room_id: found.roomId, servers: found.servers };
  }
  const row = await store.read([ALIASES], (tx) => aliasRow(tx, alias));
  if (!row) throw notFound(`Room alias ${alias} not found`);
  return { room_id: row.room_id, servers: [serverNameOf(alias)] };
}

/** PUT /_matrix/client/v3/directory/room/{roomAlias}: local aliases, for rooms the caller is joined to. */
async function putAlias(tx: WriteTx, ctx: RequestContext, serverName: string): Promise<unknown> {
  const alias = requireRoomAlias(ctx.params.roomAlias ?? '');
  if (serverNameOf(alias) !== serverName) throw invalidParam('Room aliases must be on this server');
  const roomId = requireRoomId(requireString(jsonObjectBody(ctx.req), 'room_id'));
  const userId = callerOf(ctx).userId;
  await requireJoined(tx, roomId, userId);
  // Spec: 409 M_UNKNOWN when the alias already exists.
  if (!(await addAlias(tx, { alias, room_id: roomId, creator: userId })))
    throw new MatrixError(409, 'M_UNKNOWN', `Room alias ${alias} already exists`);
  return {};
}

/** DELETE /_matrix/client/v3/directory/room/{roomAlias}: by its creator or a room moderator. */
async function deleteAlias(tx: WriteTx, ctx: RequestContext): Promise<unknown> {
  const alias = requireRoomAlias(ctx.params.roomAlias ?? '');
  const row = await aliasRow(tx, alias);
  if (!row) throw notFound(`Room alias ${alias} not found`);
  const userId = callerOf(ctx).userId;
  if (row.creator !== userId && !(await maySendState(tx, row.room_id, userId, 'm.room.canonical_alias'))) {
    throw forbidden('Only the alias creator or a room moderator may delete this alias');
  }
  await removeAlias(tx, alias);
  return {};
}

/** GET /_matrix/client/v3/rooms/{roomId}/aliases */
async function listAliases(tx: ReadTx, ctx: RequestContext): Promise<unknown> {
  const roomId = roomIdParam(ctx);
  const userId = callerOf(ctx).userId;
  await requireJoinedOrWorldReadable(tx, roomId, userId);
  return { aliases: await aliasesOf(tx, roomId) };
}

/** GET /_matrix/client/v3/directory/list/room/{roomId} */
async function getVisibility(tx: ReadTx, ctx: RequestContext): Promise<unknown> {
  const roomId = roomIdParam(ctx);
  await requireRoom(tx, roomId);
  return { visibility: (await isPublished(tx, roomId)) ? 'public' : 'private' };
}

/** PUT /_matrix/client/v3/directory/list/room/{roomId}: by users who may set the canonical alias. */
async function putVisibility(tx: WriteTx, ctx: RequestContext): Promise<unknown> {
  const roomId = roomIdParam(ctx);
  const visibility = requireEnum(jsonObjectBody(ctx.req), 'visibility', ['public', 'private'] as const);
  const userId = callerOf(ctx).userId;
  await requireJoined(tx, roomId, userId);
  if (!(await maySendState(tx, roomId, userId, 'm.room.canonical_alias'))) {
    throw forbidden('Publishing the room needs the power to change its canonical alias');
  }
  await setPublished(tx, roomId, visibility === 'public');
  return {};
}

/** Whether the user's power level suffices for a state event of `type` in the room. */
async function maySendState(tx: ReadTx, roomId: string, userId: string, type: string): Promise<boolean> {
  const room = await requireRoom(tx, roomId);
  const member = await memberRow(tx, roomId, userId);
  if (member?.membership !== 'join') return false;
  const version = roomVersion(room.version)!;
  const powerLevels = await currentStateEvent(tx, roomId, 'm.room.power_levels');
  const create = await currentStateEvent(tx, roomId, 'm.room.create');
  const level = userPowerLevel(userId, powerLevels?.pdu, create?.pdu, version);
  return level >= requiredPowerLevelForEvent(type, true, parsePowerLevels(powerLevels?.pdu.content, version));
}
