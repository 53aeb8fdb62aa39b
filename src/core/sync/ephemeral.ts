// The ephemeral section of joined rooms: m.typing (spec §11.4) and m.receipt
// (spec §11.7), collected for every room of a sync at once.
import { eventAllowed, roomAllowed } from '../events/filter-match.ts';
import { receiptEvent, receiptsOfRoom, receiptsSince } from './receipts.ts';
import type { SyncContext } from './sync-context.ts';
import type { ReceiptRow } from './tables.ts';
import type { TypingTracker } from './typing.ts';

export interface EphemeralInput {
  readonly typing: TypingTracker;
  /** The since token's typing serial; undefined for an initial sync. */
  readonly typingSince: number | undefined;
  /** The since stream position; undefined for an initial sync. */
  readonly since: number | undefined;
  /** Rooms that get all their receipts and typing (initial sync, newly joined). */
  readonly fullRooms: readonly string[];
  /** Joined rooms that get only what changed since the token. */
  readonly incrementalRooms: readonly string[];
}

/** roomId → ephemeral events, only for rooms that have any. */
export async function ephemeralByRoom(
  ctx: SyncContext,
  input: EphemeralInput,
): Promise<Map<string, unknown[]>> {
  const filter = ctx.filter.room?.ephemeral;
  const out = new Map<string, unknown[]>();
  const add = (roomId: string, event: { type: string; content: unknown } | undefined) => {
    if (!event || !roomAllowed(filter, roomId) || !eventAllowed(filter, event)) return;
    const list = out.get(roomId) ?? [];
    if (filter?.limit === undefined || list.length < filter.limit) list.push(event);
    out.set(roomId, list);
  };
  // Typing: full rooms show who types now; the others the rooms whose typing changed.
  for (const roomId of input.fullRooms) {
    const typers = input.typing.typers(roomId);
    if (typers.length > 0) add(roomId, { type: 'm.typing', content: { user_ids: typers } });
  }
  if (input.typingSince !== undefined) {
    for (const roomId of input.typing.changedSince(input.typingSince, input.incrementalRooms)) {
      add(roomId, { type: 'm.typing', content: { user_ids: input.typing.typers(roomId) } });
    }
  }
  for (const [roomId, rows] of await receiptRows(ctx, input)) add(roomId, receiptEvent(rows, ctx.userId));
  return out;
}

async function receiptRows(ctx: SyncContext, input: EphemeralInput): Promise<Map<string, ReceiptRow[]>> {
  const byRoom = new Map<string, ReceiptRow[]>();
  const full = await Promise.all(input.fullRooms.map((roomId) => receiptsOfRoom(ctx.tx, roomId)));
  for (const [i, roomId] of input.fullRooms.entries()) byRoom.set(roomId, full[i]!);
  if (input.since !== undefined && input.incrementalRooms.length > 0) {
    const wanted = new Set(input.incrementalRooms);
    for (const row of await receiptsSince(ctx.tx, input.since, ctx.position)) {
      if (!wanted.has(row.room_id)) continue;
      const list = byRoom.get(row.room_id) ?? [];
      list.push(row);
      byRoom.set(row.room_id, list);
    }
  }
  return byRoom;
}
