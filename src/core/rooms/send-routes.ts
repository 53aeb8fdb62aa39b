// Sending events: messages, state, redactions (spec: client-server API
// "Sending events to a room", "Redactions"). Sends and redactions are
// idempotent per (device, txnId); a state PUT that changes nothing returns
// the current event.
import { MatrixError, forbidden, notFound } from '../errors.ts';
import { type JsonRecord, optionalJsonObjectBody, optionalString } from '../http/json-body.ts';
import type { Caller, RequestContext, Route } from '../http/route.ts';
import {
  type JsonObject,
  canonicalJson,
  tryCanonicalJson,
  parsePowerLevels,
  roomVersion,
  userPowerLevel,
} from '../protocol.ts';
import type { ReadTx } from '../storage/port.ts';
import type { EventDraft } from './event-builder.ts';
import type { TxnRecord } from './persist-event.ts';
import { bodyRoute, callerOf, contentBody, requestHash, requireRoom, roomIdParam } from './route-helpers.ts';
import type { RoomsContext } from './rooms-context.ts';
import { currentStateEvent } from './state-read.ts';
import { aliasRow, eventRow } from './rows.ts';

const V3 = '/_matrix/client/v3';

export function sendRoutes(rooms: RoomsContext): Route[] {
  const put = (path: string, handler: (ctx: RequestContext) => Promise<unknown>) =>
    bodyRoute('PUT', `${V3}${path}`, handler, 'message');
  return [
    put('/rooms/{roomId}/send/{eventType}/{txnId}', (ctx) => send(rooms, ctx)),
    put('/rooms/{roomId}/state/{eventType}', (ctx) => putState(rooms, ctx)),
    put('/rooms/{roomId}/state/{eventType}/{stateKey}', (ctx) => putState(rooms, ctx)),
    put('/rooms/{roomId}/redact/{eventId}/{txnId}', (ctx) => redact(rooms, ctx)),
  ];
}

async function txnRecord(caller: Caller, scope: string, txnId: string, body: unknown): Promise<TxnRecord> {
  const key = `${scope}/${txnId}`;
  return { userId: caller.userId, deviceId: caller.deviceId, key, txnId, hash: await requestHash(key, body) };
}

/** PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId} */
async function send(rooms: RoomsContext, ctx: RequestContext): Promise<unknown> {
  const caller = callerOf(ctx);
  const roomId = roomIdParam(ctx);
  const type = ctx.params.eventType ?? '';
  const content = contentBody(ctx);
  const txn = await txnRecord(caller, `send/${roomId}/${type}`, ctx.params.txnId ?? '', content);
  const result = await rooms.writer.send(roomId, { type, sender: caller.userId, content }, { txn });
  return { event_id: result.eventId };
}

/** PUT /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey} */
async function putState(rooms: RoomsContext, ctx: RequestContext): Promise<unknown> {
  const caller = callerOf(ctx);
  const roomId = roomIdParam(ctx);
  const draft: EventDraft = {
    type: ctx.params.eventType ?? '',
    sender: caller.userId,
    stateKey: ctx.params.stateKey ?? '',
    content: contentBody(ctx),
  };
  const result = await rooms.writer.send(roomId, draft, {
    guard: async (tx) => {
      if (draft.type === 'm.room.canonical_alias') await checkCanonicalAlias(tx, roomId, draft.content);
      return unchangedState(tx, roomId, draft);
    },
  });
  return { event_id: result.eventId };
}

/** The current event when it already says the same thing from the same sender. */
async function unchangedState(tx: ReadTx, roomId: string, draft: EventDraft): Promise<string | undefined> {
  const current = await currentStateEvent(tx, roomId, draft.type, draft.stateKey);
  if (!current || current.sender !== draft.sender || current.redacted_by !== undefined) return undefined;
  // Content that cannot be encoded (nested too deep) is refused with 400 when the event is built.
  const wanted = tryCanonicalJson(draft.content);
  return wanted.ok && canonicalJson(current.pdu.content) === wanted.json ? current.event_id : undefined;
}

/** Spec: m.room.canonical_alias may only name aliases that exist and point to this room (400 M_BAD_ALIAS). */
async function checkCanonicalAlias(tx: ReadTx, roomId: string, content: JsonRecord): Promise<void> {
  const alt = Array.isArray(content.alt_aliases) ? content.alt_aliases : [];
  const aliases = [content.alias, ...alt].filter((a) => a !== undefined && a !== null);
  for (const alias of aliases) {
    const row = typeof alias === 'string' ? await aliasRow(tx, alias) : undefined;
    if (row?.room_id !== roomId) {
      throw new MatrixError(400, 'M_BAD_ALIAS', `${JSON.stringify(alias)} is not an alias of this room`);
    }
  }
}

/** PUT /_matrix/client/v3/rooms/{roomId}/redact/{eventId}/{txnId} */
async function redact(rooms: RoomsContext, ctx: RequestContext): Promise<unknown> {
  const caller = callerOf(ctx);
  const roomId = roomIdParam(ctx);
  const eventId = ctx.params.eventId ?? '';
  const body = optionalJsonObjectBody(ctx.req);
  const content: JsonObject = {};
  const reason = optionalString(body, 'reason');
  if (reason !== undefined) content.reason = reason;
  const txn = await txnRecord(caller, `redact/${roomId}/${eventId}`, ctx.params.txnId ?? '', body);
  const draft: EventDraft = { type: 'm.room.redaction', sender: caller.userId, content, redacts: eventId };
  const result = await rooms.writer.send(roomId, draft, {
    txn,
    guard: async (tx) => {
      await checkMayRedact(tx, roomId, eventId, caller.userId);
      return undefined;
    },
  });
  return { event_id: result.eventId };
}

/** The target must be in the room; redacting someone else's event needs the redact level. */
async function checkMayRedact(tx: ReadTx, roomId: string, eventId: string, userId: string): Promise<void> {
  const room = await requireRoom(tx, roomId);
  const target = await eventRow(tx, eventId);
  if (!target || target.room_id !== roomId) throw notFound(`Unknown event ${eventId}`);
  if (target.sender === userId) return;
  const version = roomVersion(room.version)!;
  const powerLevels = await currentStateEvent(tx, roomId, 'm.room.power_levels');
  const create = await currentStateEvent(tx, roomId, 'm.room.create');
  const level = userPowerLevel(userId, powerLevels?.pdu, create?.pdu, version);
  const needed = parsePowerLevels(powerLevels?.pdu.content, version).redact;
  if (level < needed)
    throw forbidden(`Redacting another user's event needs power level ${needed}, you have ${level}`);
}
