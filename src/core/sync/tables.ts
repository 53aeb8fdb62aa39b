// Tables owned by the sync module (the homeserver's schema, src/core/schema.ts, lists them through api.ts).
//
// - `sync_receipts`: the latest receipt of each (room, user, receipt type,
//   thread), m.read and m.read.private (spec §11.7 "Receipts"). `stream` is
//   the global stream position the receipt took (so incremental syncs ask for
//   receipts after N), `event_stream` the timeline position of the event it
//   points at (so a receipt never moves backwards and unread counts start
//   there). `thread_id` is '' for unthreaded receipts (key parts must be set).
import type { TableSpec } from '../storage/port.ts';
import { table } from '../storage/table.ts';

export const RECEIPTS = 'sync_receipts';

export const syncTables: Record<string, TableSpec> = {
  [RECEIPTS]: {
    key: ['room_id', 'user_id', 'receipt_type', 'thread_id'],
    indexes: { stream: 'stream', room: 'room_id' },
  },
};

/** Every table of the module: open transactions over these. */
export const syncTableNames: readonly string[] = Object.keys(syncTables);

export type ReceiptType = 'm.read' | 'm.read.private';

export interface ReceiptRow extends Record<string, unknown> {
  room_id: string;
  user_id: string;
  receipt_type: ReceiptType;
  /** '' for an unthreaded receipt. */
  thread_id: string;
  event_id: string;
  /** When the receipt was sent (ms since epoch). */
  ts: number;
  stream: number;
  event_stream: number;
}

// The tables with their row and key types (storage/table.ts): read and write through these.
export const receiptsTable = table<ReceiptRow, readonly [string, string, string, string]>(RECEIPTS);
