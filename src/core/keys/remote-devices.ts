// Other servers' users' devices (spec server-server: "GET
// /_matrix/federation/v1/user/devices/{userId}", "m.device_list_update").
// Everything a peer sends is checked: it speaks only for its own users, each
// device's keys must name that user and device and carry the device's own
// signature, cross-signing keys must name the user. A list we fetched is
// kept with the peer's stream_id; its EDUs then update it in order, and a
// gap in their prev_id chain makes us fetch the list again.
import { type Ed25519, isJsonObject, type JsonObject, verifyJson } from '../protocol.ts';
import { nextStreamPosition, STREAM_TABLE } from '../storage/stream.ts';
import type { KeysDeps } from './deps.ts';
import { serverOf } from './device-lists.ts';
import { crossSigningPublicKey, ed25519Key, MAX_KEY_OBJECT_CHARS } from './key-checks.ts';

/** Devices one remote user may have in our copy. */
export const MAX_REMOTE_DEVICES = 1000;

export interface RemoteDevice {
  readonly deviceId: string;
  readonly keys: JsonObject;
  readonly displayName?: string;
}

/** Device keys from a peer, or undefined (with why) when they do not hold. */
export async function checkRemoteDeviceKeys(
  ed25519: Ed25519,
  userId: string,
  deviceId: string,
  keys: unknown,
): Promise<JsonObject | undefined> {
  if (!isJsonObject(keys) || keys.user_id !== userId || keys.device_id !== deviceId) return undefined;
  return checkSignedDevice(ed25519, userId, deviceId, keys as JsonObject);
}

async function checkSignedDevice(
  ed25519: Ed25519,
  userId: string,
  deviceId: string,
  keys: JsonObject,
): Promise<JsonObject | undefined> {
  if (JSON.stringify(keys).length > MAX_KEY_OBJECT_CHARS) return undefined;
  const signingKey = ed25519Key(keys, `ed25519:${deviceId}`);
  if (!signingKey || !(await verifyJson(ed25519, keys, userId, `ed25519:${deviceId}`, signingKey)))
    return undefined;
  return keys;
}

/** A cross-signing key from a peer: the user's, with exactly one ed25519 key. */
export function checkRemoteCrossSigningKey(userId: string, key: unknown): JsonObject | undefined {
  if (!isJsonObject(key) || key.user_id !== userId || !crossSigningPublicKey(key as JsonObject))
    return undefined;
  return JSON.stringify(key).length > MAX_KEY_OBJECT_CHARS ? undefined : (key as JsonObject);
}

const cleanName = (value: unknown) => (typeof value === 'string' ? value.slice(0, 200) : undefined);

/**
 * Fetches a remote user's devices from their server and stores them as our
 * copy (replacing the old one). Throws when the server cannot be reached or
 * its answer does not hold together.
 */
export async function resyncRemoteUser(deps: KeysDeps, userId: string, timeoutMs: number): Promise<void> {
  const federation = deps.federation();
  if (!federation) throw new Error('no federation');
  const server = serverOf(userId);
  const body = await federation.get(
    server,
    `/_matrix/federation/v1/user/devices/${encodeURIComponent(userId)}`,
    timeoutMs,
  );
  if (body.user_id !== userId || typeof body.stream_id !== 'number' || !Array.isArray(body.devices))
    throw new Error(`${server} answered user/devices for ${userId} with a malformed body`);
  const devices: RemoteDevice[] = [];
  for (const entry of body.devices.slice(0, MAX_REMOTE_DEVICES)) {
    if (!isJsonObject(entry) || typeof entry.device_id !== 'string') continue;
    const keys = await checkRemoteDeviceKeys(deps.ed25519, userId, entry.device_id, entry.keys);
    if (!keys) {
      deps.logger.info('dropped remote device keys that do not verify', {
        userId,
        deviceId: entry.device_id,
      });
      continue;
    }
    const displayName = cleanName(entry.device_display_name);
    devices.push({ deviceId: entry.device_id, keys, ...(displayName !== undefined && { displayName }) });
  }
  const master = checkRemoteCrossSigningKey(userId, body.master_key);
  const selfSigning = checkRemoteCrossSigningKey(userId, body.self_signing_key);
  const remoteStream = body.stream_id;
  await deps.store.write([...deps.keys.tables, ...deps.rooms.tables, STREAM_TABLE], async (tx) => {
    const { keys } = deps;
    await keys.deleteDevicesOf(tx, userId);
    for (const d of devices) await keys.putDeviceKeys(tx, userId, d.deviceId, d.keys, d.displayName);
    if (master) await keys.putCrossSigningKey(tx, userId, 'master', master);
    if (selfSigning) await keys.putCrossSigningKey(tx, userId, 'self_signing', selfSigning);
    // Kept up to date by the peer's EDUs only while it shares a room with us.
    const tracked = (await deps.rooms.joinedRoomIds(tx, userId)).length > 0;
    await keys.putKeyChange(tx, {
      userId,
      stream: await nextStreamPosition(tx),
      ...(tracked && { remoteStream }),
    });
  });
  deps.notifier.notify({ everyone: true });
}

/**
 * Whether our copy of a remote user's devices is kept current by their
 * server's EDUs: fetched while they shared a room with us, not marked
 * stale, and no join of theirs since (while they shared no room with us,
 * their server had no reason to tell us anything).
 */
export async function isTracked(deps: KeysDeps, userId: string): Promise<boolean> {
  return deps.store.read([...deps.keys.tables, ...deps.rooms.tables], async (tx) => {
    const change = await deps.keys.keyChange(tx, userId);
    if (change?.remoteStream === undefined || change.stale) return false;
    const joinedSince = await deps.rooms.userRoomsSince(tx, userId, change.stream);
    return !joinedSince.some((room) => room.joined);
  });
}
