// Membership endpoints (spec: client-server API "Room membership").
import { notFound, unknown } from '../errors.ts';
import { optionalJsonObjectBody, optionalString, requireString } from '../http/json-body.ts';
import { requireRoomAlias, requireUserId } from '../http/matrix-ids.ts';
import type { RequestContext, Route } from '../http/route.ts';
import { serverNameOf } from '../protocol.ts';
import { checkInvitee, changeMembership } from './membership.ts';
import { memberRow } from './members-read.ts';
import { callerOf, requireRoom, roomIdParam } from './route-helpers.ts';
import type { RoomsContext } from './rooms-context.ts';
import { ALIASES, type AliasRow, FORGOTTEN, type ForgottenRow, ROOMS, roomTableNames } from './tables.ts';

const V3 = '/_matrix/client/v3';

export function membershipRoutes(rooms: RoomsContext): Route[] {
  const route = (path: string, handler: (ctx: RequestContext) => Promise<unknown>): Route => ({
    method: 'POST',
    path: `${V3}${path}`,
    auth: 'required',
    handler: async (ctx) => ({ body: await handler(ctx) }),
  });
  return [
    route('/join/{roomIdOrAlias}', (ctx) => joinByIdOrAlias(rooms, ctx)),
    route('/rooms/{roomId}/join', (ctx) => join(rooms, ctx, roomIdParam(ctx))),
    route('/rooms/{roomId}/invite', (ctx) => invite(rooms, ctx)),
    route('/rooms/{roomId}/leave', (ctx) => leave(rooms, ctx)),
    route('/rooms/{roomId}/forget', (ctx) => forget(rooms, ctx)),
    route('/rooms/{roomId}/kick', (ctx) => targeted(rooms, ctx, 'leave', ['join', 'invite', 'knock'])),
    route('/rooms/{roomId}/ban', (ctx) => targeted(rooms, ctx, 'ban')),
    route('/rooms/{roomId}/unban', (ctx) => targeted(rooms, ctx, 'leave', ['ban'])),
  ];
}

/** POST /_matrix/client/v3/join/{roomIdOrAlias}: local rooms only until federation joins exist. */
async function joinByIdOrAlias(rooms: RoomsContext, ctx: RequestContext): Promise<unknown> {
  const target = ctx.params.roomIdOrAlias ?? '';
  if (!target.startsWith('#')) return join(rooms, ctx, roomIdParam(ctx, 'roomIdOrAlias'));
  const alias = requireRoomAlias(target);
  const row = await rooms.deps.store.read([ALIASES], (tx) => tx.get<AliasRow>(ALIASES, alias));
  if (!row) throw notFound(`Room alias ${alias} is not known here`);
  return join(rooms, ctx, row.room_id);
}

/** POST /_matrix/client/v3/rooms/{roomId}/join */
async function join(rooms: RoomsContext, ctx: RequestContext, roomId: string): Promise<unknown> {
  const caller = callerOf(ctx);
  const body = optionalJsonObjectBody(ctx.req);
  const known = await rooms.deps.store.read([ROOMS], (tx) => tx.get(ROOMS, roomId));
  if (!known) {
    // Joining a room on another server needs federation (make_join/send_join), which is not here yet.
    const where =
      serverNameOf(roomId) === rooms.deps.serverName ? '' : ' (joining over federation is not supported yet)';
    throw notFound(`Room ${roomId} is not known here${where}`);
  }
  await changeMembership(rooms, {
    roomId,
    sender: caller.userId,
    target: caller.userId,
    membership: 'join',
    reason: optionalString(body, 'reason'),
    doneIf: ['join'],
  });
  return { room_id: roomId };
}

/** POST /_matrix/client/v3/rooms/{roomId}/invite */
async function invite(rooms: RoomsContext, ctx: RequestContext): Promise<unknown> {
  const roomId = roomIdParam(ctx);
  const body = optionalJsonObjectBody(ctx.req);
  const target = requireUserId(requireString(body, 'user_id'));
  await checkInvitee(rooms, target);
  await changeMembership(rooms, {
    roomId,
    sender: callerOf(ctx).userId,
    target,
    membership: 'invite',
    reason: optionalString(body, 'reason'),
    doneIf: ['invite'],
  });
  return {};
}

/** POST /_matrix/client/v3/rooms/{roomId}/leave (also rejects an invite or withdraws a knock). */
async function leave(rooms: RoomsContext, ctx: RequestContext): Promise<unknown> {
  const caller = callerOf(ctx);
  const body = optionalJsonObjectBody(ctx.req);
  await changeMembership(rooms, {
    roomId: roomIdParam(ctx),
    sender: caller.userId,
    target: caller.userId,
    membership: 'leave',
    reason: optionalString(body, 'reason'),
    from: ['join', 'invite', 'knock', 'leave'],
    doneIf: ['leave'],
  });
  return {};
}

/** POST kick (leave, from join/invite/knock), ban (any), unban (leave, from ban). */
async function targeted(
  rooms: RoomsContext,
  ctx: RequestContext,
  membership: 'leave' | 'ban',
  from?: ('join' | 'invite' | 'knock' | 'ban')[],
): Promise<unknown> {
  const body = optionalJsonObjectBody(ctx.req);
  await changeMembership(rooms, {
    roomId: roomIdParam(ctx),
    sender: callerOf(ctx).userId,
    target: requireUserId(requireString(body, 'user_id')),
    membership,
    reason: optionalString(body, 'reason'),
    from,
  });
  return {};
}

/** POST /_matrix/client/v3/rooms/{roomId}/forget: only once the user is out of the room. */
async function forget(rooms: RoomsContext, ctx: RequestContext): Promise<unknown> {
  const roomId = roomIdParam(ctx);
  const userId = callerOf(ctx).userId;
  await rooms.deps.store.write(roomTableNames, async (tx) => {
    await requireRoom(tx, roomId);
    const member = await memberRow(tx, roomId, userId);
    if (member && member.membership !== 'leave' && member.membership !== 'ban') {
      throw unknown(`${userId} is still ${member.membership === 'join' ? 'joined to' : 'in'} the room`);
    }
    await tx.put(FORGOTTEN, { user_id: userId, room_id: roomId } satisfies ForgottenRow);
  });
  rooms.deps.notifier.notify({ users: [userId] });
  return {};
}
