// The keys module's tables and every read and write of them (spec:
// "End-to-End Encryption"). Handlers go through this object; nobody else
// names these tables or builds their keys. Every method takes the caller's
// transaction, opened over `KEYS_TABLES` (plus STREAM_TABLE to write, plus
// whatever else the operation touches), so one operation is one transaction.
//
// - `e2e_device_keys` (user, device): the signed device keys a device
//   uploaded, for local users; for other servers' users, the copy we last
//   fetched or were told about (federation's m.device_list_update).
// - `e2e_one_time_keys` (user, device, "algorithm:id"): unclaimed one-time
//   keys; a claim deletes the row it hands out.
// - `e2e_fallback_keys` (user, device, algorithm): the one fallback key per
//   algorithm, `used` once it was handed out (spec: keys/claim).
// - `e2e_cross_signing` (user, usage): master, self_signing and user_signing keys.
// - `e2e_signatures` (target user, target key id, signer user, signer key id):
//   signatures uploaded with keys/signatures/upload, merged into the keys
//   they sign when queried (a user-signing signature only for its signer).
// - `e2e_key_changes` (user): the global stream position of the user's last
//   device-list or cross-signing change (sync's device_lists.changed), with
//   for local users the previous one (federation's prev_id) and for remote
//   users their own stream_id and whether our copy needs a resync.
// - `e2e_to_device` (user, device, stream): to-device messages waiting for
//   the device to acknowledge them; `origin` is the server they came from.
// - `e2e_txns`: to-device transaction ids (user, device, txn) and the
//   message_ids of received m.direct_to_device EDUs (sender, '', id), so a
//   repeat is not delivered twice.
// - `e2e_backup_versions` (user, version) and `e2e_backup_keys` (user,
//   version, room, session): server-side key backup.
import type { JsonObject, JsonValue } from '../protocol/types.ts';
import type { ReadTx, TableSpec, WriteTx } from '../storage/port.ts';

const DEVICE_KEYS = 'e2e_device_keys';
const ONE_TIME_KEYS = 'e2e_one_time_keys';
const FALLBACK_KEYS = 'e2e_fallback_keys';
const CROSS_SIGNING = 'e2e_cross_signing';
const SIGNATURES = 'e2e_signatures';
const KEY_CHANGES = 'e2e_key_changes';
const TO_DEVICE = 'e2e_to_device';
const TXNS = 'e2e_txns';
const BACKUP_VERSIONS = 'e2e_backup_versions';
const BACKUP_KEYS = 'e2e_backup_keys';

export const keysTables: Record<string, TableSpec> = {
  [DEVICE_KEYS]: { key: ['user_id', 'device_id'], indexes: { user: 'user_id' } },
  [ONE_TIME_KEYS]: {
    key: ['user_id', 'device_id', 'key_id'],
    indexes: { algorithm: ['user_id', 'device_id', 'algorithm'] },
  },
  [FALLBACK_KEYS]: {
    key: ['user_id', 'device_id', 'algorithm'],
    indexes: { device: ['user_id', 'device_id'] },
  },
  [CROSS_SIGNING]: { key: ['user_id', 'usage'], indexes: { user: 'user_id' } },
  [SIGNATURES]: {
    key: ['target_user', 'target_key', 'signer_user', 'signer_key'],
    indexes: { target: 'target_user' },
  },
  [KEY_CHANGES]: { key: 'user_id', indexes: { stream: 'stream' } },
  [TO_DEVICE]: { key: ['user_id', 'device_id', 'stream'], indexes: { origin: 'origin' } },
  [TXNS]: { key: ['user_id', 'device_id', 'txn_id'], indexes: { created: 'created_ts' } },
  [BACKUP_VERSIONS]: { key: ['user_id', 'version'], indexes: { user: 'user_id' } },
  [BACKUP_KEYS]: {
    key: ['user_id', 'version', 'room_id', 'session_id'],
    indexes: { version: ['user_id', 'version'], room: ['user_id', 'version', 'room_id'] },
  },
};

/** Every table of the module: open transactions over these (plus STREAM_TABLE to write). */
export const KEYS_TABLES: readonly string[] = Object.keys(keysTables);

export type CrossSigningUsage = 'master' | 'self_signing' | 'user_signing';

export interface OneTimeKey {
  readonly keyId: string;
  readonly key: JsonValue;
}

export interface KeyChange {
  readonly userId: string;
  readonly stream: number;
  /** Local users: the stream of the change before (federation's prev_id). */
  readonly prev?: number;
  /** Remote users: their stream_id of the device list we hold. */
  readonly remoteStream?: number;
  /** Remote users: our copy is incomplete; ask their server before trusting it. */
  readonly stale?: boolean;
}

export interface ToDeviceMessage {
  readonly sender: string;
  readonly type: string;
  readonly content: JsonObject;
}

export interface BackupVersion {
  readonly version: number;
  readonly algorithm: string;
  readonly authData: JsonObject;
  /** Bumped by every change of the version's keys. */
  readonly etag: number;
}

export interface BackupSession {
  readonly roomId: string;
  readonly sessionId: string;
  readonly data: JsonObject;
}

interface DeviceKeysRow extends Record<string, unknown> {
  user_id: string;
  device_id: string;
  keys?: JsonObject;
  display_name?: string;
}

interface OneTimeKeyRow extends Record<string, unknown> {
  user_id: string;
  device_id: string;
  key_id: string;
  algorithm: string;
  key: JsonValue;
}

interface FallbackKeyRow extends OneTimeKeyRow {
  used: boolean;
}

interface SignatureRow extends Record<string, unknown> {
  target_user: string;
  target_key: string;
  signer_user: string;
  signer_key: string;
  signature: string;
}

interface KeyChangeRow extends Record<string, unknown> {
  user_id: string;
  stream: number;
  prev?: number;
  remote_stream?: number;
  stale?: boolean;
}

interface ToDeviceRow extends Record<string, unknown> {
  user_id: string;
  device_id: string;
  stream: number;
  origin: string;
  sender: string;
  type: string;
  content: JsonObject;
}

interface BackupVersionRow extends Record<string, unknown> {
  user_id: string;
  version: number;
  algorithm: string;
  auth_data: JsonObject;
  etag: number;
  deleted: boolean;
}

interface BackupKeyRow extends Record<string, unknown> {
  user_id: string;
  version: number;
  room_id: string;
  session_id: string;
  data: JsonObject;
}

const algorithmOf = (keyId: string) => keyId.slice(0, keyId.indexOf(':'));
/** Above every real stream position, for "up to the end" ranges. */
const END = Number.MAX_SAFE_INTEGER;

/** The typed store of the keys module (see the header). */
export class KeysStore {
  readonly tables = KEYS_TABLES;

  // Device keys

  async deviceKeys(tx: ReadTx, userId: string, deviceId: string): Promise<JsonObject | undefined> {
    return (await tx.get<DeviceKeysRow>(DEVICE_KEYS, [userId, deviceId]))?.keys;
  }

  /** Every device of the user we hold keys or a name for: device id → keys (undefined: none uploaded). */
  async devicesOf(
    tx: ReadTx,
    userId: string,
  ): Promise<{ deviceId: string; keys?: JsonObject; displayName?: string }[]> {
    const rows = await tx.query<DeviceKeysRow>(DEVICE_KEYS, { index: 'user', equals: userId });
    return rows.map((r) => ({
      deviceId: r.device_id,
      ...(r.keys && { keys: r.keys }),
      ...(r.display_name !== undefined && { displayName: r.display_name }),
    }));
  }

  async putDeviceKeys(
    tx: WriteTx,
    userId: string,
    deviceId: string,
    keys: JsonObject | undefined,
    displayName?: string,
  ): Promise<void> {
    const row: DeviceKeysRow = { user_id: userId, device_id: deviceId };
    if (keys) row.keys = keys;
    if (displayName !== undefined) row.display_name = displayName;
    await tx.put(DEVICE_KEYS, row);
  }

  /** Forgets a device's keys: device keys, one-time and fallback keys, waiting to-device messages. */
  async deleteDevice(tx: WriteTx, userId: string, deviceId: string): Promise<void> {
    await tx.delete(DEVICE_KEYS, [userId, deviceId]);
    await tx.deleteWhere(ONE_TIME_KEYS, { index: 'algorithm', range: deviceRange(userId, deviceId) });
    await tx.deleteWhere(FALLBACK_KEYS, { index: 'device', equals: [userId, deviceId] });
    await tx.deleteWhere(TO_DEVICE, {
      range: { lower: [userId, deviceId, 0], upper: [userId, deviceId, END] },
    });
  }

  /** Forgets every device of a (remote) user we hold. */
  async deleteDevicesOf(tx: WriteTx, userId: string): Promise<void> {
    await tx.deleteWhere(DEVICE_KEYS, { index: 'user', equals: userId });
  }

  // One-time and fallback keys

  async oneTimeKey(
    tx: ReadTx,
    userId: string,
    deviceId: string,
    keyId: string,
  ): Promise<JsonValue | undefined> {
    return (await tx.get<OneTimeKeyRow>(ONE_TIME_KEYS, [userId, deviceId, keyId]))?.key;
  }

  async putOneTimeKey(tx: WriteTx, userId: string, deviceId: string, key: OneTimeKey): Promise<void> {
    const row: OneTimeKeyRow = {
      user_id: userId,
      device_id: deviceId,
      key_id: key.keyId,
      algorithm: algorithmOf(key.keyId),
      key: key.key,
    };
    await tx.put(ONE_TIME_KEYS, row);
  }

  /** Unclaimed one-time keys per algorithm. */
  async oneTimeKeyCounts(tx: ReadTx, userId: string, deviceId: string): Promise<Record<string, number>> {
    const rows = await tx.query<OneTimeKeyRow>(ONE_TIME_KEYS, {
      index: 'algorithm',
      range: deviceRange(userId, deviceId),
    });
    const counts: Record<string, number> = {};
    for (const row of rows) counts[row.algorithm] = (counts[row.algorithm] ?? 0) + 1;
    return counts;
  }

  /** Takes (deletes and returns) one one-time key of the algorithm, the oldest id first. */
  async takeOneTimeKey(
    tx: WriteTx,
    userId: string,
    deviceId: string,
    algorithm: string,
  ): Promise<OneTimeKey | undefined> {
    const [row] = await tx.query<OneTimeKeyRow>(ONE_TIME_KEYS, {
      index: 'algorithm',
      equals: [userId, deviceId, algorithm],
      limit: 1,
    });
    if (!row) return undefined;
    await tx.delete(ONE_TIME_KEYS, [userId, deviceId, row.key_id]);
    return { keyId: row.key_id, key: row.key };
  }

  async fallbackKey(
    tx: ReadTx,
    userId: string,
    deviceId: string,
    algorithm: string,
  ): Promise<(OneTimeKey & { used: boolean }) | undefined> {
    const row = await tx.get<FallbackKeyRow>(FALLBACK_KEYS, [userId, deviceId, algorithm]);
    return row && { keyId: row.key_id, key: row.key, used: row.used };
  }

  async putFallbackKey(
    tx: WriteTx,
    userId: string,
    deviceId: string,
    key: OneTimeKey,
    used: boolean,
  ): Promise<void> {
    const row: FallbackKeyRow = {
      user_id: userId,
      device_id: deviceId,
      key_id: key.keyId,
      algorithm: algorithmOf(key.keyId),
      key: key.key,
      used,
    };
    await tx.put(FALLBACK_KEYS, row);
  }

  /** Algorithms whose fallback key has not been handed out yet. */
  async unusedFallbackTypes(tx: ReadTx, userId: string, deviceId: string): Promise<string[]> {
    const rows = await tx.query<FallbackKeyRow>(FALLBACK_KEYS, {
      index: 'device',
      equals: [userId, deviceId],
    });
    return rows.filter((r) => !r.used).map((r) => r.algorithm);
  }

  // Cross-signing keys and signatures

  async crossSigningKey(
    tx: ReadTx,
    userId: string,
    usage: CrossSigningUsage,
  ): Promise<JsonObject | undefined> {
    return (await tx.get<{ key: JsonObject } & Record<string, unknown>>(CROSS_SIGNING, [userId, usage]))?.key;
  }

  async putCrossSigningKey(
    tx: WriteTx,
    userId: string,
    usage: CrossSigningUsage,
    key: JsonObject,
  ): Promise<void> {
    await tx.put(CROSS_SIGNING, { user_id: userId, usage, key });
  }

  async putSignature(
    tx: WriteTx,
    target: { userId: string; keyId: string },
    signer: { userId: string; keyId: string },
    signature: string,
  ): Promise<void> {
    const row: SignatureRow = {
      target_user: target.userId,
      target_key: target.keyId,
      signer_user: signer.userId,
      signer_key: signer.keyId,
      signature,
    };
    await tx.put(SIGNATURES, row);
  }

  /** Uploaded signatures on the user's keys: target key id → signer user → signer key id → signature. */
  async signaturesOn(
    tx: ReadTx,
    userId: string,
  ): Promise<Map<string, Record<string, Record<string, string>>>> {
    const out = new Map<string, Record<string, Record<string, string>>>();
    for (const row of await tx.query<SignatureRow>(SIGNATURES, { index: 'target', equals: userId })) {
      const byUser = out.get(row.target_key) ?? {};
      byUser[row.signer_user] = { ...byUser[row.signer_user], [row.signer_key]: row.signature };
      out.set(row.target_key, byUser);
    }
    return out;
  }

  // Device-list changes

  async keyChange(tx: ReadTx, userId: string): Promise<KeyChange | undefined> {
    const row = await tx.get<KeyChangeRow>(KEY_CHANGES, userId);
    return row && changeOf(row);
  }

  async putKeyChange(tx: WriteTx, change: KeyChange): Promise<void> {
    const row: KeyChangeRow = { user_id: change.userId, stream: change.stream };
    if (change.prev !== undefined) row.prev = change.prev;
    if (change.remoteStream !== undefined) row.remote_stream = change.remoteStream;
    if (change.stale) row.stale = true;
    await tx.put(KEY_CHANGES, row);
  }

  /** Users whose devices or cross-signing keys changed at a stream position in (since, upTo]. */
  async keyChangesBetween(tx: ReadTx, since: number, upTo: number): Promise<string[]> {
    const rows = await tx.query<KeyChangeRow>(KEY_CHANGES, {
      index: 'stream',
      range: { lower: since, lowerOpen: true, upper: upTo },
    });
    return rows.map((r) => r.user_id);
  }

  // To-device messages

  async putToDevice(
    tx: WriteTx,
    to: { userId: string; deviceId: string; stream: number },
    origin: string,
    message: ToDeviceMessage,
  ): Promise<void> {
    const row: ToDeviceRow = {
      user_id: to.userId,
      device_id: to.deviceId,
      stream: to.stream,
      origin,
      sender: message.sender,
      type: message.type,
      content: message.content,
    };
    await tx.put(TO_DEVICE, row);
  }

  /** Messages for the device with a stream position in (since, upTo], oldest first. */
  async toDeviceBetween(
    tx: ReadTx,
    userId: string,
    deviceId: string,
    since: number,
    upTo: number,
  ): Promise<ToDeviceMessage[]> {
    const rows = await tx.query<ToDeviceRow>(TO_DEVICE, {
      range: { lower: [userId, deviceId, since], lowerOpen: true, upper: [userId, deviceId, upTo] },
    });
    return rows.map((r) => ({ sender: r.sender, type: r.type, content: r.content }));
  }

  /** Whether the device has messages at or before `upTo` (delivered ones the client has acknowledged). */
  async hasToDeviceUpTo(tx: ReadTx, userId: string, deviceId: string, upTo: number): Promise<boolean> {
    const range = { lower: [userId, deviceId, 0], upper: [userId, deviceId, upTo] };
    return (await tx.count(TO_DEVICE, { range })) > 0;
  }

  async deleteToDeviceUpTo(tx: WriteTx, userId: string, deviceId: string, upTo: number): Promise<number> {
    return tx.deleteWhere(TO_DEVICE, {
      range: { lower: [userId, deviceId, 0], upper: [userId, deviceId, upTo] },
    });
  }

  /** Messages from `origin` waiting for local devices (a peer's quota). */
  pendingFrom(tx: ReadTx, origin: string): Promise<number> {
    return tx.count(TO_DEVICE, { index: 'origin', equals: origin });
  }

  /** Messages waiting for one device (its inbox bound). */
  pendingFor(tx: ReadTx, userId: string, deviceId: string): Promise<number> {
    return tx.count(TO_DEVICE, { range: { lower: [userId, deviceId, 0], upper: [userId, deviceId, END] } });
  }

  // Transaction ids

  async seenTxn(tx: ReadTx, scope: string, deviceId: string, txnId: string): Promise<boolean> {
    return (await tx.get(TXNS, [scope, deviceId, txnId])) !== undefined;
  }

  /** Records a transaction id; ids older than `forgetBefore` are dropped at the same time. */
  async putTxn(
    tx: WriteTx,
    scope: string,
    deviceId: string,
    txnId: string,
    now: number,
    forgetBefore: number,
  ) {
    await tx.deleteWhere(TXNS, { index: 'created', range: { upper: forgetBefore, upperOpen: true } });
    await tx.put(TXNS, { user_id: scope, device_id: deviceId, txn_id: txnId, created_ts: now });
  }

  // Key backup

  async backupVersion(tx: ReadTx, userId: string, version?: number): Promise<BackupVersion | undefined> {
    const row =
      version === undefined
        ? (
            await tx.query<BackupVersionRow>(BACKUP_VERSIONS, {
              index: 'user',
              equals: userId,
              reverse: true,
            })
          ).find((r) => !r.deleted)
        : await tx.get<BackupVersionRow>(BACKUP_VERSIONS, [userId, version]);
    if (!row || row.deleted) return undefined;
    return { version: row.version, algorithm: row.algorithm, authData: row.auth_data, etag: row.etag };
  }

  /** The highest version number the user ever had (deleted ones count: numbers are never reused). */
  async lastBackupVersion(tx: ReadTx, userId: string): Promise<number> {
    const rows = await tx.query<BackupVersionRow>(BACKUP_VERSIONS, { index: 'user', equals: userId });
    return rows.reduce((max, r) => Math.max(max, r.version), 0);
  }

  async putBackupVersion(tx: WriteTx, userId: string, v: BackupVersion): Promise<void> {
    const row: BackupVersionRow = {
      user_id: userId,
      version: v.version,
      algorithm: v.algorithm,
      auth_data: v.authData,
      etag: v.etag,
      deleted: false,
    };
    await tx.put(BACKUP_VERSIONS, row);
  }

  /** Marks the version deleted (its number stays taken) and drops its keys. */
  async deleteBackupVersion(tx: WriteTx, userId: string, v: BackupVersion): Promise<void> {
    await tx.put(BACKUP_VERSIONS, {
      user_id: userId,
      version: v.version,
      algorithm: v.algorithm,
      auth_data: {},
      etag: v.etag,
      deleted: true,
    } satisfies BackupVersionRow);
    await tx.deleteWhere(BACKUP_KEYS, { index: 'version', equals: [userId, v.version] });
  }

  async backupKey(
    tx: ReadTx,
    userId: string,
    version: number,
    roomId: string,
    sessionId: string,
  ): Promise<JsonObject | undefined> {
    return (await tx.get<BackupKeyRow>(BACKUP_KEYS, [userId, version, roomId, sessionId]))?.data;
  }

  async putBackupKey(tx: WriteTx, userId: string, version: number, s: BackupSession): Promise<void> {
    const row: BackupKeyRow = {
      user_id: userId,
      version,
      room_id: s.roomId,
      session_id: s.sessionId,
      data: s.data,
    };
    await tx.put(BACKUP_KEYS, row);
  }

  /** The version's keys, of one room or (roomId undefined) all rooms. */
  async backupKeys(tx: ReadTx, userId: string, version: number, roomId?: string): Promise<BackupSession[]> {
    const rows = await tx.query<BackupKeyRow>(
      BACKUP_KEYS,
      roomId === undefined
        ? { index: 'version', equals: [userId, version] }
        : { index: 'room', equals: [userId, version, roomId] },
    );
    return rows.map((r) => ({ roomId: r.room_id, sessionId: r.session_id, data: r.data }));
  }

  backupKeyCount(tx: ReadTx, userId: string, version: number): Promise<number> {
    return tx.count(BACKUP_KEYS, { index: 'version', equals: [userId, version] });
  }

  async deleteBackupKeys(
    tx: WriteTx,
    userId: string,
    version: number,
    roomId?: string,
    sessionId?: string,
  ): Promise<void> {
    if (sessionId !== undefined && roomId !== undefined) {
      await tx.delete(BACKUP_KEYS, [userId, version, roomId, sessionId]);
    } else if (roomId !== undefined) {
      await tx.deleteWhere(BACKUP_KEYS, { index: 'room', equals: [userId, version, roomId] });
    } else {
      await tx.deleteWhere(BACKUP_KEYS, { index: 'version', equals: [userId, version] });
    }
  }
}

function deviceRange(userId: string, deviceId: string) {
  // Algorithms are strings: '' sorts first, and no algorithm reaches U+FFFF.
  return { lower: [userId, deviceId, ''], upper: [userId, deviceId, '\uffff'] };
}

function changeOf(row: KeyChangeRow): KeyChange {
  return {
    userId: row.user_id,
    stream: row.stream,
    ...(row.prev !== undefined && { prev: row.prev }),
    ...(row.remote_stream !== undefined && { remoteStream: row.remote_stream }),
    ...(row.stale && { stale: true }),
  };
}
