// GET /_matrix/client/v1/room_summary/{roomIdOrAlias} (spec v1.15, "Room
// summaries") and GET /_matrix/client/v1/mutual_rooms (MSC2666, as the
// issue asks for it under v1).
//
// A summary is shown when the caller may preview the room: its join rule is
// public, knock or knock_restricted, its history is world-readable, or the
// caller has a membership in it (joined, invited, knocking). A room held
// here is read from the store. A room held only by other peers is asked of
// them with federation `GET /v1/hierarchy/{roomId}` (as Synapse does), for a
// caller with an access token only (a stranger cannot make this server
// fetch): of the `via` servers, the servers of an alias resolved over the
// network, directories that listed the room and the inviter's server. Their
// answer is untrusted (hierarchy.ts checkedRemoteRoom) and shown by the same
// rule (a restricted room when the caller is in an allowed room here).
// Anything else is 404 M_NOT_FOUND: the answer never tells a private room
// from a missing one.
import { invalidParam, notFound } from '../errors.ts';
import { queryParam, requireQueryParam } from '../http/query.ts';
import { parseId, requireUserId } from '../http/matrix-ids.ts';
import type { RequestContext, Route } from '../http/route.ts';
import type { ReadTx } from '../storage/port.ts';
import { countMembers, joinedRoomIds, memberRow } from './members-read.ts';
import { checkedRemoteRoom, openRoom } from './hierarchy.ts';
import { remoteCandidates, resolveTarget } from './membership-routes.ts';
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
      handler: async (ctx) => ({
        body: (await read((tx) => roomSummary(tx, ctx))) ?? (await remoteSummary(rooms, ctx)),
      }),
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

const hidden = () => notFound('Room not found or not previewable');

/** The summary of a room held here; undefined when it is not held here (ask the peers). */
async function roomSummary(tx: ReadTx, ctx: RequestContext): Promise<Record<string, unknown> | undefined> {
  const target = ctx.params.roomIdOrAlias ?? '';
  const sigil = target[0];
  if ((sigil !== '!' && sigil !== '#') || parseId(target).localpart === '')
    throw invalidParam('Expected a room id or a room alias');
  const roomId = sigil === '#' ? (await aliasRow(tx, target))?.room_id : target;
  const room = roomId === undefined ? undefined : await roomRow(tx, roomId);
  if (!roomId || !room) return undefined;
  const joinRule = text((await content(tx, roomId, 'm.room.join_rules')).join_rule) ?? 'invite';
  const visibility =
    text((await content(tx, roomId, 'm.room.history_visibility')).history_visibility) ?? 'shared';
  const membership = ctx.caller ? (await memberRow(tx, roomId, ctx.caller.userId))?.membership : undefined;
  const member = membership === 'join' || membership === 'invite' || membership === 'knock';
  if (!member && !PREVIEWABLE_JOIN_RULES.includes(joinRule) && visibility !== 'world_readable')
    throw hidden();
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

/** A room held elsewhere, from its peers' hierarchy answer (see the header). */
async function remoteSummary(rooms: RoomsContext, ctx: RequestContext): Promise<Record<string, unknown>> {
  const federation = rooms.federation();
  const caller = ctx.caller;
  if (!federation || !caller) throw hidden();
  const target = await resolveTarget(rooms, ctx).catch(() => {
    throw hidden();
  });
  const servers = await remoteCandidates(rooms, target.roomId, target.servers, caller.userId);
  if (servers.length === 0) throw hidden();
  const answer = await federation.remoteHierarchy(target.roomId, servers.slice(0, MAX_SERVERS), false);
  const room = checkedRemoteRoom(answer?.room, target.roomId);
  if (!room) throw hidden();
  const { membership, joined } = await rooms.deps.store.read(roomTableNames, async (tx) => ({
    membership: (await memberRow(tx, target.roomId, caller.userId))?.membership,
    joined: new Set(await joinedRoomIds(tx, caller.userId)),
  }));
  const member = membership === 'join' || membership === 'invite' || membership === 'knock';
  if (!member && !(await openRoom(room, async (ids) => ids.some((id) => joined.has(id))))) throw hidden();
  const raw = answer?.room as Record<string, unknown>;
  return {
    room_id: room.room_id,
    num_joined_members: room.num_joined_members,
    join_rule: room.join_rule ?? 'invite',
    world_readable: room.world_readable,
    guest_can_join: room.guest_can_join,
    ...optional('name', room.name),
    ...optional('topic', room.topic),
    ...optional('avatar_url', room.avatar_url),
    ...optional('canonical_alias', room.canonical_alias),
    ...optional('room_type', room.room_type),
    // Spec v1.15: the hierarchy's summary may carry these too.
    ...optional('room_version', shortText(raw.room_version)),
    ...optional('encryption', shortText(raw.encryption)),
    ...optional('membership', membership),
  };
}

/** Peers asked at most for one summary (remoteHierarchy tries them in turn). */
const MAX_SERVERS = 5;

const shortText = (value: unknown) => (typeof value === 'string' && value.length <= 100 ? value : undefined);

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
