// What the composition root and other modules may use of the sync module: its
// routes and deps, the typing tracker, its tables for the schema, and the one
// write other modules ask of it (other servers' read receipts).
import * as rooms from '../rooms/api.ts';
import type { WriteTx } from '../storage/port.ts';
import { STREAM_TABLE } from '../storage/stream.ts';
import { putReceipt } from './receipts.ts';
import { RECEIPTS } from './tables.ts';

export type { SharedReceipt } from './receipt-handlers.ts';
export { createTypingTracker, type SyncDeps, syncRoutes } from './routes.ts';
export { syncTables } from './tables.ts';
export { TypingTracker } from './typing.ts';

/** Another server's public read receipt (an m.receipt EDU). */
export interface RemoteReadReceipt {
  readonly roomId: string;
  readonly userId: string;
  readonly eventId: string;
  readonly threadId?: string;
  readonly ts: number;
}

/** Tables a transaction storing other servers' receipts opens (with STREAM_TABLE: it writes). */
export const remoteReceiptTables: readonly string[] = [RECEIPTS, STREAM_TABLE, ...rooms.roomTableNames];

/**
 * Stores other servers' m.read receipts for events this server holds in
 * their rooms' timelines, in the caller's transaction (over
 * remoteReceiptTables); receipts for other events, or no newer than the
 * user's receipt held, are skipped. The rooms whose receipts changed: the
 * caller wakes their syncs after the commit.
 */
export async function putRemoteReceipts(
  tx: WriteTx,
  receipts: readonly RemoteReadReceipt[],
): Promise<string[]> {
  const changed = new Set<string>();
  for (const r of receipts) {
    const stream = await rooms.eventStream(tx, r.eventId);
    const [event] = stream === undefined ? [] : await rooms.eventsByIds(tx, [r.eventId], 0);
    if (event?.room_id !== r.roomId || stream === undefined) continue;
    if (await putReceipt(tx, { ...r, type: 'm.read', eventStream: stream })) changed.add(r.roomId);
  }
  return [...changed];
}
