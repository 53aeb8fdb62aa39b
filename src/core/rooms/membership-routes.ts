// Membership endpoints (spec: client-server API "Room membership").
import { notFound, unknown } from '../errors.ts';
import { optionalJsonObjectBody, optionalString, requireString } from '../http/json-body.ts';
import { requireRoomAlias, requireUserId } from '../http/matrix-ids.ts';
import { queryParams } from '../http/query.ts';
import type { RequestContext, Route } from '../http/route.ts';
import { roomVersion, serverNameOf } from '../protocol.ts';
import { checkInvitee, changeMembership } from './membership.ts';
import { mirrorCanonicalAlias } from './mirror-alias.ts';
import { cannotVouchHere, joinAuthoriser, residentAuthorisers } from './restricted-join.ts';
import { memberRow } from './members-read.ts';
import { bodyRoute, callerOf, requireRoom, roomIdParam } from './route-helpers.ts';
import type { RoomsContext } from './rooms-context.ts';
import { ALIASES, ROOMS, roomTableNames } from './tables.ts';
import { aliasRow, forgetRoom, roomRow } from './rows.ts';

const V3 = '/_matrix/client/v3';

export function membershipRoutes(rooms: RoomsContext): Route[] {
  const route = (path: string, handler: (ctx: RequestContext) => Promise<unknown>) =>
    bodyRoute('POST', `${V3}${path}`, handler, 'membership');
  return [
    route('/join/{roomIdOrAlias}', async (ctx) => {
      const { roomId, servers } = await resolveTarget(rooms, ctx);
      return join(rooms, ctx, roomId, servers);
    }),
    route('/knock/{roomIdOrAlias}', async (ctx) => {
      const { roomId, servers } = await resolveTarget(rooms, ctx);
      return knock(rooms, ctx, roomId, servers);
    }),
    route('/rooms/{roomId}/join', (ctx) => join(rooms, ctx, roomIdParam(ctx))),
    route('/rooms/{roomId}/invite', (ctx) => invite(rooms, ctx)),
    route('/rooms/{roomId}/leave', (ctx) => leave(rooms, ctx)),
    route('/rooms/{roomId}/forget', (ctx) => forget(rooms, ctx)),
    route('/rooms/{roomId}/kick', (ctx) => targeted(rooms, ctx, 'leave', ['join', 'invite', 'knock'])),
    route('/rooms/{roomId}/ban', (ctx) => targeted(rooms, ctx, 'ban')),
    route('/rooms/{roomId}/unban', (ctx) => targeted(rooms, ctx, 'leave', ['ban'])),
  ];
}

/**
 * The room of POST /_matrix/client/v3/join|knock/{roomIdOrAlias}?via=&server_name=
 * and the servers to go through: an alias of another server is resolved over
 * federation (remoteDirectory), which also names servers in the room.
 */
export async function resolveTarget(
  rooms: RoomsContext,
  ctx: RequestContext,
): Promise<{ roomId: string; servers: string[] }> {
  const target = ctx.params.roomIdOrAlias ?? '';
  const via = [...queryParams(ctx.req, 'via'), ...queryParams(ctx.req, 'server_name')];
  if (!target.startsWith('#')) return { roomId: roomIdParam(ctx, 'roomIdOrAlias'), servers: via };
  const alias = requireRoomAlias(target);
  const { remoteDirectory, serverName, store } = rooms.deps;
  if (remoteDirectory && serverNameOf(alias) !== serverName) {
    const found = await remoteDirectory.resolveAlias(alias);
    if (!found) throw notFound(`Room alias ${alias} is not known on the network`);
    return { roomId: found.roomId, servers: [...found.servers, ...via] };
  }
  const row = await store.read([ALIASES], (tx) => aliasRow(tx, alias));
  if (!row) throw notFound(`Room alias ${alias} is not known here`);
  return { roomId: row.room_id, servers: via };
}

/**
 * Where a room not held here can be reached: `servers`, then directories that
 * listed it, then the server of whoever invited `userId`, then its id's server
 * (none from room version 12 on, whose room ids name no server: there the
 * inviter's server is what an invited user has).
 */
export async function remoteCandidates(
  rooms: RoomsContext,
  roomId: string,
  servers: readonly string[],
  userId: string,
): Promise<string[]> {
  const { remoteDirectory, serverName, store } = rooms.deps;
  const listedBy = remoteDirectory?.serversFor(roomId) ?? [];
  const member = await store.read(roomTableNames, (tx) => memberRow(tx, roomId, userId));
  const inviter = member?.membership === 'invite' ? serverNameOf(member.sender) : undefined;
  const own = serverNameOf(roomId);
  const all = [...servers, ...listedBy, ...(inviter ? [inviter] : []), ...(own ? [own] : [])];
  return [...new Set(all)].filter((s) => s !== serverName);
}

/**
 * Who vouches for a user joining a restricted room held here: one of our
 * members with the invite level (`via`; none when the room is not
 * restricted or the user needs no vouching). When no one here can (this
 * server is in none of the allowed rooms, or no member of it may invite), a
 * resident of another server may: the join then goes through them
 * (`residents`, spec: "Restricted rooms"), else the error stands.
 */
async function restrictedJoinVouch(
  rooms: RoomsContext,
  roomId: string,
  userId: string,
  versionId: string,
): Promise<{ via?: string } | { residents: string[] }> {
  const { serverName, store } = rooms.deps;
  const version = roomVersion(versionId);
  if (!version) return {};
  try {
    const via = await store.read(roomTableNames, (tx) =>
      joinAuthoriser(tx, roomId, userId, serverName, version),
    );
    return via === undefined ? {} : { via };
  } catch (err) {
    if (!cannotVouchHere(err) || !rooms.federation()) throw err;
    const residents = await store.read(roomTableNames, (tx) =>
      residentAuthorisers(tx, roomId, serverName, version),
    );
    if (residents.length === 0) throw err;
    return { residents };
  }
}

/**
 * POST /_matrix/client/v3/rooms/{roomId}/join. `servers`: where a room not
 * known here could be joined through (from an alias, `via` or `server_name`).
 * After the join, a public room's canonical alias of another server is
 * mirrored under our name (mirror-alias.ts).
 */
async function join(
  rooms: RoomsContext,
  ctx: RequestContext,
  roomId: string,
  servers: readonly string[] = [],
): Promise<unknown> {
  const caller = callerOf(ctx);
  const body = optionalJsonObjectBody(ctx.req);
  const reason = optionalString(body, 'reason');
  const { serverName, store } = rooms.deps;
  const remoteJoin = rooms.federation()?.remoteJoin;
  const known = await store.read([ROOMS], (tx) => roomRow(tx, roomId));
  if (!known) {
    const remote = serverNameOf(roomId) !== serverName;
    if (!remote || !remoteJoin) {
      const where = remote ? ' (joining over federation is not available)' : '';
      throw notFound(`Room ${roomId} is not known here${where}`);
    }
    await remoteJoin({
      roomId,
      userId: caller.userId,
      servers: await remoteCandidates(rooms, roomId, servers, caller.userId),
      ...(reason !== undefined && { reason }),
    });
  } else {
    const vouch = await restrictedJoinVouch(rooms, roomId, caller.userId, known.version);
    if ('residents' in vouch) {
      await rooms.federation()!.authorisedJoin({
        roomId,
        userId: caller.userId,
        servers: vouch.residents,
        ...(reason !== undefined && { reason }),
      });
    } else {
      await changeMembership(rooms, {
        roomId,
        sender: caller.userId,
        target: caller.userId,
        membership: 'join',
        reason,
        doneIf: ['join'],
        ...(vouch.via !== undefined && { extra: { join_authorised_via_users_server: vouch.via } }),
      });
    }
  }
  await mirrorCanonicalAlias(rooms, roomId, caller.userId);
  return { room_id: roomId };
}

/**
 * POST /_matrix/client/v3/knock/{roomIdOrAlias} (spec: "Knocking on rooms",
 * room versions 7+): a knock membership, asking the room's members for an
 * invite. A room held elsewhere is knocked on over federation; the auth
 * rules (4.7) decide whether the join rule allows it.
 */
async function knock(
  rooms: RoomsContext,
  ctx: RequestContext,
  roomId: string,
  servers: readonly string[],
): Promise<unknown> {
  const caller = callerOf(ctx);
  const reason = optionalString(optionalJsonObjectBody(ctx.req), 'reason');
  const remoteKnock = rooms.federation()?.remoteKnock;
  const known = await rooms.deps.store.read([ROOMS], (tx) => roomRow(tx, roomId));
  if (known) {
    await changeMembership(rooms, {
      roomId,
      sender: caller.userId,
      target: caller.userId,
      membership: 'knock',
      reason,
      doneIf: ['knock'],
    });
  } else if (remoteKnock && serverNameOf(roomId) !== rooms.deps.serverName) {
    await remoteKnock({
      roomId,
      userId: caller.userId,
      servers: await remoteCandidates(rooms, roomId, servers, caller.userId),
      ...(reason !== undefined && { reason }),
    });
  } else {
    throw notFound(`Room ${roomId} is not known here`);
  }
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

/**
 * POST /_matrix/client/v3/rooms/{roomId}/leave (also rejects an invite or
 * withdraws a knock). An invite to a room this server does not hold is
 * rejected over federation (remoteLeave).
 */
async function leave(rooms: RoomsContext, ctx: RequestContext): Promise<unknown> {
  const caller = callerOf(ctx);
  const body = optionalJsonObjectBody(ctx.req);
  const roomId = roomIdParam(ctx);
  const { store } = rooms.deps;
  const remoteLeave = rooms.federation()?.remoteLeave;
  if (remoteLeave && !(await store.read([ROOMS], (tx) => roomRow(tx, roomId)))) {
    const reason = optionalString(body, 'reason');
    await remoteLeave({ roomId, userId: caller.userId, ...(reason !== undefined && { reason }) });
    return {};
  }
  await changeMembership(rooms, {
    roomId,
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
    await forgetRoom(tx, userId, roomId);
  });
  rooms.deps.notifier.notify({ users: [userId] });
  return {};
}
