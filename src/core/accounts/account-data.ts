// Account data (spec: "Client Config"): per-user JSON objects by type,
// global (room_id '') or per room. Every write takes a stream position.
import type { ReadTx, WriteTx } from '../storage/port.ts';
import { nextStreamPosition } from '../storage/stream.ts';
import { type AccountDataRow, accountDataTable } from './tables.ts';

/** Types the server maintains itself; clients get 405 M_BAD_JSON when they try to set them. */
export const SERVER_MANAGED_TYPES: readonly string[] = ['m.push_rules', 'm.fully_read'];

export async function getAccountData(
  tx: ReadTx,
  userId: string,
  roomId: string,
  type: string,
): Promise<Record<string, unknown> | undefined> {
  const row = await accountDataTable.get(tx, [userId, roomId, type]);
  return row?.content;
}

/** Stores account data (roomId '' for global) and returns the stream position it took. */
export async function setAccountData(
  tx: WriteTx,
  userId: string,
  roomId: string,
  type: string,
  content: Record<string, unknown>,
): Promise<number> {
  const stream = await nextStreamPosition(tx);
  const row: AccountDataRow = { user_id: userId, room_id: roomId, type, content, stream };
  await accountDataTable.put(tx, row);
  return stream;
}

/** Rows of the user changed after stream position `since`, oldest first. */
export function accountDataRowsSince(tx: ReadTx, userId: string, since: number): Promise<AccountDataRow[]> {
  return accountDataTable.query(tx, {
    index: 'user_stream',
    range: { lower: [userId, since], lowerOpen: true, upper: [userId, Number.MAX_SAFE_INTEGER] },
  });
}

/** Deletes all of a user's account data (deactivation with erase). */
export async function eraseAccountData(tx: WriteTx, userId: string): Promise<void> {
  await accountDataTable.deleteWhere(tx, {
    index: 'user_stream',
    range: { lower: [userId, 0], upper: [userId, Number.MAX_SAFE_INTEGER] },
  });
}
