// Reading room state, single events and members (spec: client-server API
// "Getting events for a room"). Users who left read the room as it was when
// they left; history visibility decides single events.
import { invalidParam, notFound } from '../errors.ts';
import { queryParam } from '../http/query.ts';
import type { RequestContext, Route } from '../http/route.ts';
import { splitStateKey } from '../protocol.ts';
import type { ReadTx } from '../storage/port.ts';
import { clientEventsByIds, formatRows } from './client-event.ts';
import { joinedRoomIds, roomMembers } from './members-read.ts';
import { parseStreamToken } from './pagination-token.ts';
import {
  type ReadHandler,
  callerOf,
  readRoute,
  readableUpTo,
  requireJoinedOrWorldReadable,
  requireRoom,
  roomIdParam,
} from './route-helpers.ts';
import type { RoomsContext } from './rooms-context.ts';
import type { StateIds } from './state-groups.ts';
import { currentStateIds, stateIdsAtStream } from './state-read.ts';
import type { Membership } from './tables.ts';
import { VisibilityChecker } from './visibility.ts';
import { eventRow } from './rows.ts';

const V3 = '/_matrix/client/v3';

export function readRoutes(rooms: RoomsContext): Route[] {
  const get = (path: string, handler: ReadHandler) => readRoute(rooms, `${V3}${path}`, handler);
  return [
    get('/rooms/{roomId}/state', getAllState),
    get('/rooms/{roomId}/state/{eventType}', getOneState),
    get('/rooms/{roomId}/state/{eventType}/{stateKey}', getOneState),
    get('/rooms/{roomId}/event/{eventId}', getEvent),
    get('/rooms/{roomId}/members', getMembers),
    get('/rooms/{roomId}/joined_members', getJoinedMembers),
    get('/joined_rooms', async (tx, ctx) => ({
      joined_rooms: await joinedRoomIds(tx, callerOf(ctx).userId),
    })),
  ];
}

/** The state the caller may read: current, or as of their leave. */
async function readableState(tx: ReadTx, roomId: string, userId: string, at?: number): Promise<StateIds> {
  const { upTo } = await readableUpTo(tx, roomId, userId);
  const bound = upTo === undefined ? at : Math.min(upTo, at ?? upTo);
  return bound === undefined ? currentStateIds(tx, roomId) : stateIdsAtStream(tx, roomId, bound);
}

/** GET /_matrix/client/v3/rooms/{roomId}/state */
async function getAllState(tx: ReadTx, ctx: RequestContext, now: number): Promise<unknown> {
  const state = await readableState(tx, roomIdParam(ctx), callerOf(ctx).userId);
  return clientEventsByIds(tx, [...state.values()], now);
}

/** GET /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}[?format=event] */
async function getOneState(tx: ReadTx, ctx: RequestContext, now: number): Promise<unknown> {
  const state = await readableState(tx, roomIdParam(ctx), callerOf(ctx).userId);
  const type = ctx.params.eventType ?? '';
  const stateKey = ctx.params.stateKey ?? '';
  const id = [...state].find(([key]) => {
    const [t, k] = splitStateKey(key);
    return t === type && k === stateKey;
  })?.[1];
  const [event] = id === undefined ? [] : await clientEventsByIds(tx, [id], now);
  if (!event) throw notFound(`No ${type} state with key ${JSON.stringify(stateKey)} in this room`);
  return queryParam(ctx.req, 'format') === 'event' ? event : event.content;
}

/** GET /_matrix/client/v3/rooms/{roomId}/event/{eventId}: 404 for events the caller may not see. */
async function getEvent(tx: ReadTx, ctx: RequestContext, now: number): Promise<unknown> {
  const roomId = roomIdParam(ctx);
  const caller = callerOf(ctx);
  await requireRoom(tx, roomId);
  const row = await eventRow(tx, ctx.params.eventId ?? '');
  const checker = await VisibilityChecker.create(tx, roomId, caller.userId);
  if (!row || row.room_id !== roomId || row.rejected !== undefined || !(await checker.canSee(row))) {
    throw notFound('Event not found');
  }
  const [event] = await formatRows(tx, [row], now, caller);
  return event;
}

const MEMBERSHIPS: readonly string[] = ['join', 'invite', 'leave', 'ban', 'knock'];

function membershipQuery(ctx: RequestContext, name: string): string | undefined {
  const value = queryParam(ctx.req, name);
  if (value !== undefined && !MEMBERSHIPS.includes(value)) throw invalidParam(`${name} must be a membership`);
  return value;
}

/** GET /_matrix/client/v3/rooms/{roomId}/members?at=&membership=&not_membership= */
async function getMembers(tx: ReadTx, ctx: RequestContext, now: number): Promise<unknown> {
  const atToken = queryParam(ctx.req, 'at');
  const at = atToken === undefined ? undefined : parseStreamToken(atToken);
  if (atToken !== undefined && at === undefined) throw invalidParam('at is not a valid token');
  const membership = membershipQuery(ctx, 'membership');
  const notMembership = membershipQuery(ctx, 'not_membership');
  const state = await readableState(tx, roomIdParam(ctx), callerOf(ctx).userId, at);
  const ids = [...state].filter(([key]) => splitStateKey(key)[0] === 'm.room.member').map(([, id]) => id);
  const events = await clientEventsByIds(tx, ids, now);
  const chunk = events.filter((e) => {
    const m = e.content.membership;
    return (
      (membership === undefined || m === membership) && (notMembership === undefined || m !== notMembership)
    );
  });
  return { chunk };
}

/** GET /_matrix/client/v3/rooms/{roomId}/joined_members (joined users, or anyone in a world-readable room). */
async function getJoinedMembers(tx: ReadTx, ctx: RequestContext): Promise<unknown> {
  const roomId = roomIdParam(ctx);
  const userId = callerOf(ctx).userId;
  await requireJoinedOrWorldReadable(tx, roomId, userId);
  const joined: Record<string, { display_name?: string; avatar_url?: string }> = {};
  for (const member of await roomMembers(tx, roomId, 'join' satisfies Membership)) {
    const entry: { display_name?: string; avatar_url?: string } = {};
    if (member.displayname !== undefined) entry.display_name = member.displayname;
    if (member.avatar_url !== undefined) entry.avatar_url = member.avatar_url;
    joined[member.user_id] = entry;
  }
  return { joined };
}
