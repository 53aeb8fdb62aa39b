// GET /_matrix/client/v1/room_summary/{roomIdOrAlias} (spec v1.15, "Room
// summaries") and GET /_matrix/client/v1/mutual_rooms (MSC2666, as the
// issue asks for it under v1).
//
// A summary is shown when the room is held here and the caller may preview
// it: its join rule is public, knock or knock_restricted, its history is
// world-readable, or the caller has a membership in it (joined, invited,
// knocking). Anything else, and rooms this server does not hold, is 404
// M_NOT_FOUND: the answer never tells a private room from a missing one.
// Rooms held only by other peers are not fetched over federation yet.
import { invalidParam, notFound } from '../errors.ts';
import { queryParam, requireQueryParam } from '../http/query.ts';
import { parseId, requireUserId } from '../http/matrix-ids.ts';
import type { RequestContext, Route } from '../http/route.ts';
import type { ReadTx } from '../storage/port.ts';
import { countMembers, joinedRoomIds, memberRow } from './members-read.ts';
import type { RoomsContext } from './rooms-context.ts';
import { callerOf } from './route-helpers.ts';
import { aliasRow, roomRow } from './rows.ts';
import { currentStateEvent } from './state-read.ts';
import { roomTableNames } from './tables.ts';

const PREVIEWABLE_JOIN_RULES = ['public', 'knock', 'knock_restricted'];
const MUTUAL_PAGE = 100;

export function summaryRoutes(rooms: RoomsContext): Route[] {
  const read = <T>(fn: (tx: ReadTx) => Promise<T>) => rooms.deps.store.read(roomTableNames, fn);
  return [
    {
      method: 'GET',
      path: '/_matrix/client/v1/room_summary/{roomIdOrAlias}',
      auth: 'optional',
      handler: async (ctx) => ({ body: await read((tx) => roomSummary(tx, ctx)) }),
    },
    {
      method: 'GET',
      path: '/_matrix/client/v1/mutual_rooms',
      auth: 'required',
      handler: async (ctx) => ({ body: await read((tx) => mutualRooms(tx, ctx)) }),
    },
  ];
}

async function content(tx: ReadTx, roomId: string, type: string): Promise<Record<string, unknown>> {
  return (await currentStateEvent(tx, roomId, type))?.pdu.content ?? {};
}

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

async function roomSummary(tx: ReadTx, ctx: RequestContext): Promise<Record<string, unknown>> {
  const target = ctx.params.roomIdOrAlias ?? '';
  const sigil = target[0];
  if ((sigil !== '!' && sigil !== '#') || parseId(target).localpart === '')
    throw invalidParam('Expected a room id or a room alias');
  const roomId = sigil === '#' ? (await aliasRow(tx, target))?.room_id : target;
  const room = roomId === undefined ? undefined : await roomRow(tx, roomId);
  if (!roomId || !room) throw notFound('Room not found or not previewable');
  const joinRule = text((await content(tx, roomId, 'm.room.join_rules')).join_rule) ?? 'invite';
  const visibility =
    text((await content(tx, roomId, 'm.room.history_visibility')).history_visibility) ?? 'shared';
  const membership = ctx.caller ? (await memberRow(tx, roomId, ctx.caller.userId))?.membership : undefined;
  const member = membership === 'join' || membership === 'invite' || membership === 'knock';
  if (!member && !PREVIEWABLE_JOIN_RULES.includes(joinRule) && visibility !== 'world_readable')
    throw notFound('Room not found or not previewable');
  const create = await content(tx, roomId, 'm.room.create');
  const encryption = text((await content(tx, roomId, 'm.room.encryption')).algorithm);
  const guest = text((await content(tx, roomId, 'm.room.guest_access')).guest_access);
  return {
    room_id: roomId,
    num_joined_members: await countMembers(tx, roomId, 'join'),
    join_rule: joinRule,
    world_readable: visibility === 'world_readable',
    guest_can_join: guest === 'can_join',
    room_version: room.version,
    ...optional('name', text((await content(tx, roomId, 'm.room.name')).name)),
    ...optional('topic', text((await content(tx, roomId, 'm.room.topic')).topic)),
    ...optional('avatar_url', text((await content(tx, roomId, 'm.room.avatar')).url)),
    ...optional('canonical_alias', text((await content(tx, roomId, 'm.room.canonical_alias')).alias)),
    ...optional('room_type', text(create.type)),
    ...optional('encryption', encryption),
    ...optional('membership', membership),
  };
}

const optional = (key: string, value: string | undefined) => (value === undefined ? {} : { [key]: value });

/** The rooms the caller and `user_id` are both joined to, in pages of MUTUAL_PAGE (`from`: the previous next_batch). */
async function mutualRooms(tx: ReadTx, ctx: RequestContext): Promise<Record<string, unknown>> {
  const caller = callerOf(ctx).userId;
  const other = requireUserId(requireQueryParam(ctx.req, 'user_id'));
  if (other === caller) throw invalidParam('user_id must be another user');
  const theirs = new Set(await joinedRoomIds(tx, other));
  const shared = (await joinedRoomIds(tx, caller)).filter((id) => theirs.has(id)).sort();
  const from = queryParam(ctx.req, 'from');
  const start = from === undefined ? 0 : shared.findIndex((id) => id > from);
  const page = start < 0 ? [] : shared.slice(start, start + MUTUAL_PAGE);
  const last = page[page.length - 1];
  const more = start >= 0 && start + page.length < shared.length;
  return { joined: page, ...(more && last && { next_batch: last }) };
}
