// Receipts and read markers (spec §11.7 "Receipts", §11.8 "Read and unread markers"):
//   POST /_matrix/client/v3/rooms/{roomId}/receipt/{receiptType}/{eventId}
//   POST /_matrix/client/v3/rooms/{roomId}/read_markers
// m.read is shared with the room, m.read.private only with the user's own
// clients, and m.fully_read is the user's room account data.
import { forbidden, invalidParam, notFound } from '../errors.ts';
import { jsonObjectBody, optionalJsonObjectBody, optionalString } from '../http/json-body.ts';
import { requireRoomId } from '../http/matrix-ids.ts';
import type { HandlerResult, RequestContext } from '../http/route.ts';
import type { Clock } from '../ports.ts';
import * as rooms from '../rooms/api.ts';
import type { ReadTx, Store, WriteTx } from '../storage/port.ts';
import { STREAM_TABLE } from '../storage/stream.ts';
import type { Notifier } from '../events/notifier.ts';
import { putReceipt } from './receipts.ts';
import { RECEIPTS, type ReceiptType } from './tables.ts';

/** Writes m.fully_read room account data inside the caller's transaction (the accounts module's table). */
export interface FullyReadWriter {
  readonly tables: readonly string[];
  setFullyRead(tx: WriteTx, userId: string, roomId: string, eventId: string): Promise<void>;
}

/** A public read receipt of a local user, as stored (room federation sends it to the room's servers). */
export interface SharedReceipt {
  readonly roomId: string;
  readonly userId: string;
  readonly eventId: string;
  readonly threadId?: string;
  readonly ts: number;
}

export interface ReceiptHandlerDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly notifier: Notifier;
  readonly fullyRead: FullyReadWriter;
  /** Told after the commit about each m.read receipt that was stored. */
  readonly receiptSent?: (receipt: SharedReceipt) => void;
}

const RECEIPT_TYPES = ['m.read', 'm.read.private', 'm.fully_read'] as const;
type Marker = (typeof RECEIPT_TYPES)[number];

interface MarkerUpdate {
  readonly type: Marker;
  readonly eventId: string;
  readonly threadId?: string;
}

/** The timeline position of an event of this room, or 404. */
async function eventPosition(tx: ReadTx, roomId: string, eventId: string): Promise<number> {
  const [event] = await rooms.eventsByIds(tx, [eventId], 0);
  const stream = event?.room_id === roomId ? await rooms.eventStream(tx, eventId) : undefined;
  if (stream === undefined) throw notFound('Event not found in this room');
  return stream;
}

/**
 * A threaded receipt names the event's thread (spec: "Threaded read
 * receipts"): `main` for an event of the main timeline, else the root's id,
 * for the root itself or a reply in its thread.
 */
async function requireInThread(tx: ReadTx, eventId: string, threadId: string): Promise<void> {
  const thread = await rooms.eventThread(tx, eventId);
  if (thread === threadId || (threadId !== rooms.MAIN_THREAD && eventId === threadId)) return;
  throw invalidParam(`${eventId} is not in thread ${threadId}`);
}

/**
 * Applies the updates in one transaction; returns the shared receipts that
 * changed (the room's members must be woken) and whether anything changed.
 */
async function applyMarkers(
  deps: ReceiptHandlerDeps,
  userId: string,
  roomId: string,
  updates: readonly MarkerUpdate[],
  ts: number,
): Promise<{ shared: MarkerUpdate[]; any: boolean }> {
  const tables = [RECEIPTS, STREAM_TABLE, ...rooms.roomTableNames, ...deps.fullyRead.tables];
  return deps.store.write(tables, async (tx) => {
    if ((await rooms.membershipOf(tx, roomId, userId)) !== 'join')
      throw forbidden('You are not joined to this room');
    const result = { shared: [] as MarkerUpdate[], any: false };
    for (const u of updates) {
      const eventStream = await eventPosition(tx, roomId, u.eventId);
      if (u.threadId !== undefined) await requireInThread(tx, u.eventId, u.threadId);
      if (u.type === 'm.fully_read') {
        await deps.fullyRead.setFullyRead(tx, userId, roomId, u.eventId);
        result.any = true;
        continue;
      }
      const type: ReceiptType = u.type;
      const stored = await putReceipt(tx, {
        roomId,
        userId,
        type,
        eventId: u.eventId,
        eventStream,
        ts,
        threadId: u.threadId,
      });
      result.any ||= stored;
      if (stored && type === 'm.read') result.shared.push(u);
    }
    return result;
  });
}

async function markAndNotify(
  deps: ReceiptHandlerDeps,
  userId: string,
  roomId: string,
  updates: readonly MarkerUpdate[],
): Promise<HandlerResult> {
  const ts = deps.clock.now();
  const changed = await applyMarkers(deps, userId, roomId, updates, ts);
  if (changed.shared.length > 0) deps.notifier.notify({ rooms: [roomId] });
  else if (changed.any) deps.notifier.notify({ users: [userId] });
  for (const u of changed.shared)
    deps.receiptSent?.({ roomId, userId, eventId: u.eventId, threadId: u.threadId, ts });
  return { body: {} };
}

/** POST /rooms/{roomId}/receipt/{receiptType}/{eventId}, body {thread_id?}. */
export async function postReceipt(deps: ReceiptHandlerDeps, ctx: RequestContext): Promise<HandlerResult> {
  const roomId = requireRoomId(ctx.params.roomId!);
  const type = ctx.params.receiptType as Marker;
  if (!RECEIPT_TYPES.includes(type))
    throw invalidParam(`Receipt type must be one of ${RECEIPT_TYPES.join(', ')}`);
  const threadId = optionalString(optionalJsonObjectBody(ctx.req), 'thread_id');
  if (threadId !== undefined && type === 'm.fully_read')
    throw invalidParam('m.fully_read cannot be threaded');
  if (threadId === '') throw invalidParam('thread_id must not be empty');
  const update: MarkerUpdate = { type, eventId: ctx.params.eventId!, ...(threadId ? { threadId } : {}) };
  return markAndNotify(deps, ctx.caller!.userId, roomId, [update]);
}

/** POST /rooms/{roomId}/read_markers, body {m.fully_read?, m.read?, m.read.private?}. */
export async function postReadMarkers(deps: ReceiptHandlerDeps, ctx: RequestContext): Promise<HandlerResult> {
  const roomId = requireRoomId(ctx.params.roomId!);
  const body = jsonObjectBody(ctx.req);
  const updates: MarkerUpdate[] = [];
  for (const type of RECEIPT_TYPES) {
    const eventId = optionalString(body, type);
    if (eventId !== undefined) updates.push({ type, eventId });
  }
  return markAndNotify(deps, ctx.caller!.userId, roomId, updates);
}
