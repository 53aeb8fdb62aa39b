// What the composition root and other modules may use of the sync module: its
// routes and deps, the typing tracker, its tables for the schema, and the one
// write other modules ask of it (another server's read receipt).
import * as rooms from '../rooms/api.ts';
import type { Store } from '../storage/port.ts';
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

/**
 * Stores another server's m.read receipt for an event this server holds in
 * that room, in one transaction; false when the event is not in the room's
 * timeline. The caller wakes the room's syncs after a true.
 */
export function storeRemoteReceipt(store: Store, r: RemoteReadReceipt): Promise<boolean> {
  return store.write([RECEIPTS, STREAM_TABLE, ...rooms.roomTableNames], async (tx) => {
    const stream = await rooms.eventStream(tx, r.eventId);
    const [event] = stream === undefined ? [] : await rooms.eventsByIds(tx, [r.eventId], 0);
    if (event?.room_id !== r.roomId || stream === undefined) return false;
    return putReceipt(tx, { ...r, type: 'm.read', eventStream: stream });
  });
}
