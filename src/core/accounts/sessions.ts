// Devices and their access tokens (spec: "Relationship between access tokens
// and devices"): every token belongs to one device; logging in with a known
// device id reuses the device and revokes its previous tokens; deleting a
// device (or logging out) removes its tokens, refresh tokens included. An
// access token issued with a refresh token expires (refresh-tokens.ts).
import { invalidParam, notFound, unknownToken } from '../errors.ts';
import type { Caller } from '../http/route.ts';
import type { ReadTx, Store, WriteTx } from '../storage/port.ts';
import { nextStreamPosition, STREAM_TABLE } from '../storage/stream.ts';
import type { DeviceRemoval } from './deps.ts';
import {
  type DeviceRow,
  DEVICES,
  devicesTable,
  REFRESH_TOKENS,
  refreshTokensTable,
  type TokenRow,
  TOKENS,
  tokensTable,
} from './tables.ts';

/** Tables a transaction that starts or ends sessions must cover. */
export const SESSION_TABLES: readonly string[] = [DEVICES, TOKENS, REFRESH_TOKENS, STREAM_TABLE];

export interface NewSession {
  readonly userId: string;
  readonly deviceId: string;
  readonly accessToken: string;
  readonly displayName?: string;
  readonly now: number;
  /** With a refresh token the access token expires at `expiresTs`. */
  readonly refresh?: { readonly token: string; readonly expiresTs: number };
}

/** Creates the device (or reuses it, revoking its old tokens) and stores the new token. */
export async function startSession(tx: WriteTx, session: NewSession): Promise<void> {
  const { userId, deviceId, now } = session;
  const existing = await devicesTable.get(tx, [userId, deviceId]);
  if (existing) {
    await deleteDeviceTokens(tx, userId, deviceId);
    await devicesTable.put(tx, { ...existing, last_seen_ts: now });
  } else {
    const device: DeviceRow = {
      user_id: userId,
      device_id: deviceId,
      created_ts: now,
      last_seen_ts: now,
      stream: await nextStreamPosition(tx),
    };
    if (session.displayName !== undefined) device.display_name = session.displayName;
    await devicesTable.put(tx, device);
  }
  const token: TokenRow = {
    token: session.accessToken,
    user_id: userId,
    device_id: deviceId,
    created_ts: now,
  };
  if (session.refresh) {
    token.expires_ts = session.refresh.expiresTs;
    await refreshTokensTable.put(tx, {
      token: session.refresh.token,
      user_id: userId,
      device_id: deviceId,
      access_token: session.accessToken,
      created_ts: now,
    });
  }
  await tokensTable.put(tx, token);
}

async function deleteDeviceTokens(tx: WriteTx, userId: string, deviceId: string): Promise<void> {
  await tokensTable.deleteWhere(tx, { index: 'device', equals: [userId, deviceId] });
  await refreshTokensTable.deleteWhere(tx, { index: 'device', equals: [userId, deviceId] });
}

/**
 * The caller an access token belongs to, or undefined. An expired one is 401
 * M_UNKNOWN_TOKEN with soft_logout (spec: "Soft logout": the device stays,
 * the client refreshes or logs in again to it). The first use of a token a
 * refresh gave revokes the refresh token it replaced (spec: "Refreshing
 * access tokens"), one write once per refresh.
 */
export async function authenticate(
  store: Store,
  accessToken: string,
  now: number,
): Promise<Caller | undefined> {
  // Every authenticated request starts here: a token held in memory saves it a transaction.
  const row =
    store.peek?.<TokenRow>(TOKENS, accessToken) ??
    (await store.read([TOKENS], (tx) => tokensTable.get(tx, accessToken)));
  if (!row) return undefined;
  if (row.expires_ts !== undefined && row.expires_ts <= now)
    throw unknownToken('Access token has expired', true);
  if (row.replaces !== undefined) {
    await store.write([TOKENS, REFRESH_TOKENS], async (tx) => {
      const current = await tokensTable.get(tx, accessToken);
      if (current?.replaces === undefined) return;
      await revokeRefreshToken(tx, current.replaces);
      const { replaces: _, ...rest } = current;
      await tokensTable.put(tx, rest);
    });
  }
  return { userId: row.user_id, deviceId: row.device_id, accessToken };
}

/** Deletes a refresh token and the access token issued with it. */
export async function revokeRefreshToken(tx: WriteTx, token: string): Promise<void> {
  const row = await refreshTokensTable.get(tx, token);
  if (!row) return;
  await refreshTokensTable.delete(tx, token);
  await tokensTable.delete(tx, row.access_token);
}

export function getDevice(tx: ReadTx, userId: string, deviceId: string): Promise<DeviceRow | undefined> {
  return devicesTable.get(tx, [userId, deviceId]);
}

/** Renames a device; 404 M_NOT_FOUND when the user has no such device. */
export async function renameDevice(
  tx: WriteTx,
  userId: string,
  deviceId: string,
  displayName: string | undefined,
): Promise<void> {
  const row = await getDevice(tx, userId, deviceId);
  if (!row) throw notFound('No such device');
  if (displayName !== undefined) await devicesTable.put(tx, { ...row, display_name: displayName });
}

export function listDevices(tx: ReadTx, userId: string): Promise<DeviceRow[]> {
  return devicesTable.query(tx, { index: 'user', equals: userId });
}

/** Removes a device and every token of it (and, through `removal`, its keys); false when there was no such device. */
export async function deleteDevice(
  tx: WriteTx,
  userId: string,
  deviceId: string,
  removal?: DeviceRemoval,
): Promise<boolean> {
  await deleteDeviceTokens(tx, userId, deviceId);
  const existed = (await getDevice(tx, userId, deviceId)) !== undefined;
  if (existed) await devicesTable.delete(tx, [userId, deviceId]);
  if (existed) await removal?.removed(tx, userId, deviceId);
  return existed;
}

/** Removes every device and token of the user, except the device `keep` (if given). */
export async function deleteAllDevices(
  tx: WriteTx,
  userId: string,
  keep?: string,
  removal?: DeviceRemoval,
): Promise<void> {
  for (const device of await listDevices(tx, userId)) {
    if (device.device_id !== keep) await deleteDevice(tx, userId, device.device_id, removal);
  }
}

/** One write over `tables` that deletes devices, with the other modules' part in it (deps.deviceRemoval). */
export async function writeRemovingDevices<T>(
  deps: { readonly store: Store; readonly deviceRemoval: () => DeviceRemoval },
  tables: readonly string[],
  fn: (tx: WriteTx, removal: DeviceRemoval) => Promise<T>,
): Promise<T> {
  const removal = deps.deviceRemoval();
  const all = [...new Set([...tables, ...removal.tables])];
  const result = await deps.store.write(all, (tx) => fn(tx, removal));
  removal.committed();
  return result;
}

/** A device id a client asked for: '' counts as none; ids are capped at 255 characters. */
export function requestedDeviceId(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.length > 255) throw invalidParam('device_id may not be longer than 255 characters');
  return value;
}
