// One global, persistent stream position: every change a client can sync
// (timeline events, memberships, receipts, account data, profile changes...)
// takes the next position inside the write transaction that makes it, so a
// sync token is just "everything after position N" and survives restarts.
import { type Issued, issued } from './issued.ts';
import type { ReadTx, TableSpec, WriteTx } from './port.ts';

export const STREAM_TABLE = 'counters';
/** The key of the stream position's row in STREAM_TABLE (its `name`). */
export const STREAM_COUNTER = 'stream';
export const streamTables: Record<string, TableSpec> = { [STREAM_TABLE]: { key: 'name' } };

interface CounterRow extends Record<string, unknown> {
  name: string;
  value: number;
}

/** Reserves and returns the next stream position (call inside the write transaction of the change). */
export async function nextStreamPosition(tx: WriteTx): Promise<number> {
  const requests = issued();
  const position = await reserveStreamPosition(tx, requests);
  await requests.settled();
  return position;
}

/**
 * nextStreamPosition without waiting for the counter's put to be answered:
 * the put goes in `requests`, which the caller awaits (requests.settled(),
 * beside its other writes) before its transaction's function returns, so
 * that a failed put still fails the write (issued.ts). Over IndexedDB each
 * request awaited on its own is a round trip to the browser's storage
 * process; the requests issued after the put run after it all the same (a
 * transaction runs its requests in the order issued).
 */
export async function reserveStreamPosition(tx: WriteTx, requests: Issued): Promise<number> {
  const row = await tx.get<CounterRow>(STREAM_TABLE, STREAM_COUNTER);
  const position = (row?.value ?? 0) + 1;
  requests.add(tx.put(STREAM_TABLE, { name: STREAM_COUNTER, value: position } satisfies CounterRow));
  return position;
}

/** The highest position handed out so far (0 for a new store). */
export async function currentStreamPosition(tx: ReadTx): Promise<number> {
  const row = await tx.get<CounterRow>(STREAM_TABLE, STREAM_COUNTER);
  return row?.value ?? 0;
}

/**
 * Sets the highest position handed out to `value`: for a writer that hands
 * out a run of positions itself (a batch of received events,
 * rooms/remote-batch.ts) after reading currentStreamPosition in the same
 * write transaction, so it writes the counter once.
 */
export async function setStreamPosition(tx: WriteTx, value: number): Promise<void> {
  await tx.put(STREAM_TABLE, { name: STREAM_COUNTER, value } satisfies CounterRow);
}

/**
 * Reserves `count` positions for history placed behind every timeline
 * (backfill: events older than any a room's timeline holds) and returns the
 * lowest. They come from a second counter that only goes down from 0, so
 * they lie below every position handed out before, in every room: no sync
 * token (always >= 0) ever reaches them, and a later batch (older history)
 * lies below an earlier one. The caller numbers the batch oldest first from
 * the returned position up.
 */
export async function reserveBackfillPositions(tx: WriteTx, count: number): Promise<number> {
  const row = await tx.get<CounterRow>(STREAM_TABLE, 'backfill');
  const value = (row?.value ?? 0) - count;
  await tx.put(STREAM_TABLE, { name: 'backfill', value });
  return value;
}
