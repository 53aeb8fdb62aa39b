// Pushers (spec: "Push Notifications", POST /pushers/set). They are stored and
// listed so clients see their settings; this server delivers no pushes yet.
import type { ReadTx, WriteTx } from '../storage/port.ts';
import { type PusherRow, pushersTable } from './tables.ts';

export async function listPushers(tx: ReadTx, userId: string): Promise<Record<string, unknown>[]> {
  const rows = await pushersTable.query(tx, { index: 'user', equals: userId });
  return rows.map((row) => row.pusher);
}

/**
 * Stores a pusher. Unless `append`, other users' pushers with the same app id
 * and pushkey are removed (the device now belongs to this user).
 */
export async function setPusher(
  tx: WriteTx,
  userId: string,
  pusher: Record<string, unknown> & { app_id: string; pushkey: string },
  append: boolean,
): Promise<void> {
  if (!append)
    await pushersTable.deleteWhere(tx, { index: 'app_pushkey', equals: [pusher.app_id, pusher.pushkey] });
  const row: PusherRow = { user_id: userId, app_id: pusher.app_id, pushkey: pusher.pushkey, pusher };
  await pushersTable.put(tx, row);
}

export function removePusher(tx: WriteTx, userId: string, appId: string, pushkey: string): Promise<void> {
  return pushersTable.delete(tx, [userId, appId, pushkey]);
}

export async function removeAllPushers(tx: WriteTx, userId: string): Promise<void> {
  await pushersTable.deleteWhere(tx, { index: 'user', equals: userId });
}
