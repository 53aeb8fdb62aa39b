// Pushers (spec: "Push Notifications", POST /pushers/set). They are stored and
// listed so clients see their settings; this server delivers no pushes yet.
import type { ReadTx, WriteTx } from '../storage/port.ts';
import { PUSHERS, type PusherRow } from './tables.ts';

export async function listPushers(tx: ReadTx, userId: string): Promise<Record<string, unknown>[]> {
  const rows = await tx.query<PusherRow>(PUSHERS, { index: 'user', equals: userId });
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
    await tx.deleteWhere(PUSHERS, { index: 'app_pushkey', equals: [pusher.app_id, pusher.pushkey] });
  const row: PusherRow = { user_id: userId, app_id: pusher.app_id, pushkey: pusher.pushkey, pusher };
  await tx.put(PUSHERS, row);
}

export function removePusher(tx: WriteTx, userId: string, appId: string, pushkey: string): Promise<void> {
  return tx.delete(PUSHERS, [userId, appId, pushkey]);
}

export async function removeAllPushers(tx: WriteTx, userId: string): Promise<void> {
  await tx.deleteWhere(PUSHERS, { index: 'user', equals: userId });
}
