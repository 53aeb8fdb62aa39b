// The persisted per-destination queue (tables.ts `fed_outbox`). Writers add
// rows inside the transaction of the change they carry; the destination
// senders (sender.ts) read them oldest first and delete them once delivered.
import type { JsonObject } from '../protocol/types.ts';
import type { ReadTx, WriteTx } from '../storage/port.ts';
import { type OutboxRow, outboxTable } from './tables.ts';

export type OutboxItem =
  | { readonly kind: 'pdu'; readonly roomId: string; readonly eventId: string }
  | { readonly kind: 'invite'; readonly roomId: string; readonly eventId: string }
  | { readonly kind: 'edu'; readonly eduType: string; readonly content: JsonObject };

/** Adds the item for every destination but `self`; returns the destinations. */
export async function enqueue(
  tx: WriteTx,
  destinations: Iterable<string>,
  item: OutboxItem,
  self: string,
): Promise<string[]> {
  return (await enqueueRows(tx, destinations, item, self)).map((row) => row.destination);
}

/** enqueue, returning the rows written (with the ids the store gave them). */
export async function enqueueRows(
  tx: WriteTx,
  destinations: Iterable<string>,
  item: OutboxItem,
  self: string,
): Promise<OutboxRow[]> {
  const rows = [...new Set(destinations)]
    .filter((destination) => destination !== self)
    .map(
      (destination): OutboxRow =>
        item.kind === 'edu'
          ? { destination, kind: 'edu', edu_type: item.eduType, content: item.content }
          : { destination, kind: item.kind, room_id: item.roomId, event_id: item.eventId },
    );
  // All puts at once: the store numbers them in the order they were made.
  const ids = await Promise.all(rows.map((row) => outboxTable.put(tx, row)));
  rows.forEach((row, i) => {
    row.id = ids[i] as number;
  });
  return rows;
}

export interface PendingBatch {
  readonly pdus: OutboxRow[];
  readonly edus: OutboxRow[];
  readonly invites: OutboxRow[];
  /** Every row queued for the destination is in the batch (set by pendingFor). */
  complete?: boolean;
}

/**
 * EDU content one transaction carries at most, as JSON characters: PDUs are
 * at most 64 KiB each (50 of them fit the peer's 4 MiB request limit), but
 * a to-device EDU may be much larger than a typing notice, and a
 * transaction the peer refuses as too large would be retried forever.
 */
export const MAX_TRANSACTION_EDU_CHARS = 512 * 1024;

/**
 * The oldest rows for a destination: up to maxPdus PDUs and maxEdus EDUs
 * (fewer when their content passes MAX_TRANSACTION_EDU_CHARS; the first
 * always goes), and any invites among them.
 */
export async function pendingFor(
  tx: ReadTx,
  destination: string,
  maxPdus: number,
  maxEdus: number,
  /** Rows to pass over (delivered, their deletion still to commit). */
  skip: (id: number) => boolean = () => false,
): Promise<PendingBatch> {
  const batch: PendingBatch = { pdus: [], edus: [], invites: [] };
  let eduChars = 0;
  const eduFits = (row: OutboxRow) => {
    if (batch.edus.length >= maxEdus) return false;
    const chars = JSON.stringify(row.content ?? {}).length;
    if (batch.edus.length > 0 && eduChars + chars > MAX_TRANSACTION_EDU_CHARS) {
      maxEdus = batch.edus.length;
      return false;
    }
    eduChars += chars;
    return true;
  };
  let after = -1;
  let left = false;
  for (;;) {
    const rows = await outboxTable.query(tx, {
      index: 'destination',
      range: { lower: [destination, after], lowerOpen: true, upper: [destination, Number.MAX_SAFE_INTEGER] },
      limit: 200,
    });
    for (const row of rows) {
      if (skip(row.id!)) continue;
      if (row.kind === 'pdu' && batch.pdus.length < maxPdus) batch.pdus.push(row);
      else if (row.kind === 'edu' && eduFits(row)) batch.edus.push(row);
      else if (row.kind === 'invite' && batch.invites.length < maxPdus) batch.invites.push(row);
      else left = true;
    }
    const full = batch.pdus.length >= maxPdus && batch.edus.length >= maxEdus;
    if (rows.length < 200 || full) {
      batch.complete = rows.length < 200 && !left;
      return batch;
    }
    after = rows[rows.length - 1]!.id!;
  }
}

export async function removeRows(tx: WriteTx, rows: readonly OutboxRow[]): Promise<void> {
  await removeIds(
    tx,
    rows.map((row) => row.id!),
  );
}

/** Deletes the rows of `ids`, all requests at once. */
export async function removeIds(tx: WriteTx, ids: readonly number[]): Promise<void> {
  await Promise.all(ids.map((id) => outboxTable.delete(tx, id)));
}

/** Every destination with something queued (the senders to start after a restart). */
export async function pendingDestinations(tx: ReadTx): Promise<Set<string>> {
  const out = new Set<string>();
  let after: [string, number] | undefined;
  for (;;) {
    const [row] = await outboxTable.query(tx, {
      index: 'destination',
      ...(after && { range: { lower: after, lowerOpen: true } }),
      limit: 1,
    });
    if (!row) return out;
    out.add(row.destination);
    // Skip past every row of this destination.
    after = [row.destination, Number.MAX_SAFE_INTEGER];
  }
}
