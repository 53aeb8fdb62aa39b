// Receipts storage and their m.receipt form (spec §11.7 "Receipts").
import type { ReadTx, WriteTx } from '../storage/port.ts';
import { nextStreamPosition } from '../storage/stream.ts';
import { type ReceiptRow, receiptsTable, type ReceiptType } from './tables.ts';

export interface NewReceipt {
  readonly roomId: string;
  readonly userId: string;
  readonly type: ReceiptType;
  /** Undefined for an unthreaded receipt. */
  readonly threadId?: string;
  readonly eventId: string;
  /** Timeline position of the event. */
  readonly eventStream: number;
  readonly ts: number;
}

/**
 * Stores a receipt unless the user's receipt of that type and thread already
 * points at the same or a later event (receipts only move forward, as in
 * Synapse). Returns whether it was stored.
 */
export async function putReceipt(tx: WriteTx, r: NewReceipt): Promise<boolean> {
  const threadId = r.threadId ?? '';
  const existing = await receiptsTable.get(tx, [r.roomId, r.userId, r.type, threadId]);
  if (existing && existing.event_stream >= r.eventStream) return false;
  const row: ReceiptRow = {
    room_id: r.roomId,
    user_id: r.userId,
    receipt_type: r.type,
    thread_id: threadId,
    event_id: r.eventId,
    ts: r.ts,
    stream: await nextStreamPosition(tx),
    event_stream: r.eventStream,
  };
  await receiptsTable.put(tx, row);
  return true;
}

/** Receipts that took a stream position in (since, upTo], in any room. */
export function receiptsSince(tx: ReadTx, since: number, upTo: number): Promise<ReceiptRow[]> {
  return receiptsTable.query(tx, {
    index: 'stream',
    range: { lower: since, lowerOpen: true, upper: upTo },
  });
}

/** Every current receipt in a room. */
export function receiptsOfRoom(tx: ReadTx, roomId: string): Promise<ReceiptRow[]> {
  return receiptsTable.query(tx, { index: 'room', equals: roomId });
}

/**
 * The timeline position up to which userId has read roomId: the later of
 * their public and private unthreaded (or main-thread) read receipts; 0 if none.
 */
export async function readUpTo(tx: ReadTx, roomId: string, userId: string): Promise<number> {
  const keys = ['m.read', 'm.read.private'].flatMap((type) => [
    [roomId, userId, type, ''] as const,
    [roomId, userId, type, 'main'] as const,
  ]);
  const rows = await Promise.all(keys.map((key) => receiptsTable.get(tx, key)));
  return Math.max(0, ...rows.map((row) => row?.event_stream ?? 0));
}

/**
 * The user's read positions in a room by thread (spec: "Threaded read
 * receipts"): `unthreaded` covers every thread, `threads` holds each thread's
 * own (`main` included), m.read and m.read.private alike.
 */
export async function readPositions(
  tx: ReadTx,
  roomId: string,
  userId: string,
): Promise<{ unthreaded: number; threads: Map<string, number> }> {
  const rows = await receiptsTable.query(tx, {
    range: { lower: [roomId, userId], upper: [roomId, userId, '\uffff'] },
  });
  let unthreaded = 0;
  const threads = new Map<string, number>();
  for (const row of rows) {
    if (row.thread_id === '') unthreaded = Math.max(unthreaded, row.event_stream);
    else threads.set(row.thread_id, Math.max(threads.get(row.thread_id) ?? 0, row.event_stream));
  }
  return { unthreaded, threads };
}

/**
 * The m.receipt ephemeral event for `viewer` (spec: content is event id →
 * receipt type → user id → {ts, thread_id}); private receipts of other users
 * are left out. Undefined when nothing is left.
 */
export function receiptEvent(
  rows: readonly ReceiptRow[],
  viewer: string,
): { type: 'm.receipt'; content: Record<string, unknown> } | undefined {
  const content: Record<string, Record<string, Record<string, Record<string, unknown>>>> = {};
  let any = false;
  for (const row of rows) {
    if (row.receipt_type === 'm.read.private' && row.user_id !== viewer) continue;
    const byType = content[row.event_id] ?? {};
    content[row.event_id] = byType;
    const byUser = byType[row.receipt_type] ?? {};
    byType[row.receipt_type] = byUser;
    byUser[row.user_id] = row.thread_id ? { ts: row.ts, thread_id: row.thread_id } : { ts: row.ts };
    any = true;
  }
  return any ? { type: 'm.receipt', content } : undefined;
}
