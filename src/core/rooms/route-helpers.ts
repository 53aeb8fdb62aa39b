// Small pieces every room endpoint uses: route shapes, the caller, validated
// path ids, the request hash for txnId idempotency, and "what may this user
// read here".
import { badJson, forbidden, notFound } from '../errors.ts';
import { jsonObjectBody } from '../http/json-body.ts';
import { requireRoomId } from '../http/matrix-ids.ts';
import type { Caller, Method, RequestContext, Route } from '../http/route.ts';
import type { RateLimitClass } from '../http/rate-limit.ts';
import { type JsonObject, encodeBase64, sha256, tryCanonicalJson, utf8Encode } from '../protocol.ts';
import type { ReadTx } from '../storage/port.ts';
import type { RoomsContext } from './rooms-context.ts';
import { currentStateEvent } from './state-read.ts';
import { type MemberRow, type RoomRow, roomTableNames } from './tables.ts';
import { memberRow, roomRow } from './rows.ts';

/** An authenticated route whose handler's result is the 200 body. */
export function bodyRoute(
  method: Method,
  path: string,
  handler: (ctx: RequestContext) => Promise<unknown>,
  rateLimit?: RateLimitClass,
): Route {
  return {
    method,
    path,
    auth: 'required',
    ...(rateLimit && { rateLimit }),
    handler: async (ctx) => ({ body: await handler(ctx) }),
  };
}

/** A GET handler reading in one transaction; `now` is for unsigned.age. */
export type ReadHandler = (tx: ReadTx, ctx: RequestContext, now: number) => Promise<unknown>;

/** An authenticated GET answered from one read transaction over the room tables. */
export function readRoute(rooms: RoomsContext, path: string, handler: ReadHandler): Route {
  return bodyRoute('GET', path, (ctx) => {
    const now = rooms.deps.clock.now();
    return rooms.deps.store.read(roomTableNames, (tx) => handler(tx, ctx, now));
  });
}

/** The authenticated caller (routes declare auth 'required'). */
export function callerOf(ctx: RequestContext): Caller {
  if (!ctx.caller) throw new Error('route needs auth: required');
  return ctx.caller;
}

/** A path parameter, validated as a room id (400 M_INVALID_PARAM otherwise). */
export function roomIdParam(ctx: RequestContext, name = 'roomId'): string {
  return requireRoomId(ctx.params[name] ?? '');
}

/** The room row, or 404 M_NOT_FOUND. */
export async function requireRoom(tx: ReadTx, roomId: string): Promise<RoomRow> {
  const room = await roomRow(tx, roomId);
  if (!room) throw notFound(`Unknown room ${roomId}`);
  return room;
}

/** An event content body: a JSON object that canonical JSON can encode (no floats), else 400 M_BAD_JSON. */
export function contentBody(ctx: RequestContext): JsonObject {
  const body = jsonObjectBody(ctx.req);
  const encoded = tryCanonicalJson(body);
  if (!encoded.ok) throw badJson(`Content is not valid Matrix JSON: ${encoded.reason}`);
  return body as JsonObject;
}

/** sha256 of what a txnId stands for: another request under the same txnId is refused. */
export async function requestHash(scope: string, body: unknown): Promise<string> {
  const encoded = tryCanonicalJson({ scope, body });
  if (!encoded.ok) throw badJson(`Request body is not valid Matrix JSON: ${encoded.reason}`);
  return encodeBase64(await sha256(utf8Encode(encoded.json)));
}

/** The room's current history visibility (default shared). */
export async function currentHistoryVisibility(tx: ReadTx, roomId: string): Promise<string> {
  const row = await currentStateEvent(tx, roomId, 'm.room.history_visibility');
  const value = row?.pdu.content.history_visibility;
  return typeof value === 'string' ? value : 'shared';
}

/**
 * How far a user may read a room's state and members: joined users and
 * anyone in a world-readable room see the present (`upTo` undefined); users
 * who left or were banned see the room as it was at their member event.
 * Everyone else gets 403 (404 for unknown rooms).
 */
export async function readableUpTo(tx: ReadTx, roomId: string, userId: string): Promise<{ upTo?: number }> {
  await requireRoom(tx, roomId);
  const member = await memberRow(tx, roomId, userId);
  if (member?.membership === 'join') return {};
  if ((await currentHistoryVisibility(tx, roomId)) === 'world_readable') return {};
  if (member && (member.membership === 'leave' || member.membership === 'ban') && member.joined_stream) {
    return { upTo: member.stream };
  }
  throw forbidden(`${userId} is not in room ${roomId}`);
}

/** 403 unless the user is joined to the room now or the room is world-readable (404 for unknown rooms). */
export async function requireJoinedOrWorldReadable(
  tx: ReadTx,
  roomId: string,
  userId: string,
): Promise<void> {
  await requireRoom(tx, roomId);
  const member = await memberRow(tx, roomId, userId);
  if (member?.membership !== 'join' && (await currentHistoryVisibility(tx, roomId)) !== 'world_readable') {
    throw forbidden(`${userId} is not joined to room ${roomId}`);
  }
}

/** 403 unless the user is joined to the room now. */
export async function requireJoined(tx: ReadTx, roomId: string, userId: string): Promise<MemberRow> {
  await requireRoom(tx, roomId);
  const member = await memberRow(tx, roomId, userId);
  if (member?.membership !== 'join') throw forbidden(`${userId} is not joined to room ${roomId}`);
  return member;
}
