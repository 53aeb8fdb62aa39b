// The keys module's typed store (spec: "End-to-End Encryption"): handlers go
// through it, nobody else names the tables (tables.ts) or builds their keys.
// Every method takes the caller's transaction, opened over `KEYS_TABLES`
// (plus STREAM_TABLE to write, plus whatever else the operation touches), so
// one operation is one transaction. To-device messages and key backup have
// their own parts (`messages`, `backups`).
import type { JsonObject, JsonValue } from '../protocol/types.ts';
import type { ReadTx, WriteTx } from '../storage/port.ts';
import { BackupStore } from './backup-store.ts';
import {
  algorithmOf,
  crossSigningTable,
  type CrossSigningUsage,
  deviceKeysTable,
  type DeviceKeysRow,
  END,
  fallbackKeysTable,
  type FallbackKeyRow,
  keyChangesTable,
  type KeyChange,
  type KeyChangeRow,
  KEYS_TABLES,
  oneTimeKeysTable,
  type OneTimeKey,
  type OneTimeKeyRow,
  signaturesTable,
  type SignatureRow,
} from './tables.ts';
import { ToDeviceStore } from './to-device-store.ts';

export { KEYS_TABLES, keysTables } from './tables.ts';
export type {
  BackupSession,
  BackupVersion,
  CrossSigningUsage,
  KeyChange,
  OneTimeKey,
  ToDeviceMessage,
} from './tables.ts';

export class KeysStore {
  readonly tables = KEYS_TABLES;
  /** To-device messages and transaction ids. */
  readonly messages = new ToDeviceStore();
  /** Server-side key backup. */
  readonly backups = new BackupStore();

  // Device keys

  async deviceKeys(tx: ReadTx, userId: string, deviceId: string): Promise<JsonObject | undefined> {
    return (await deviceKeysTable.get(tx, [userId, deviceId]))?.keys;
  }

  /** Every device of the user we hold keys or a name for: device id → keys (undefined: none uploaded). */
  async devicesOf(
    tx: ReadTx,
    userId: string,
  ): Promise<{ deviceId: string; keys?: JsonObject; displayName?: string }[]> {
    const rows = await deviceKeysTable.query(tx, { index: 'user', equals: userId });
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
    await deviceKeysTable.put(tx, row);
  }

  /** Forgets a device's keys: device keys, one-time and fallback keys, waiting to-device messages. */
  async deleteDevice(tx: WriteTx, userId: string, deviceId: string): Promise<void> {
    await deviceKeysTable.delete(tx, [userId, deviceId]);
    await oneTimeKeysTable.deleteWhere(tx, { index: 'algorithm', range: deviceRange(userId, deviceId) });
    await fallbackKeysTable.deleteWhere(tx, { index: 'device', equals: [userId, deviceId] });
    await this.messages.deleteToDeviceUpTo(tx, userId, deviceId, END);
  }

  /** Forgets every device of a (remote) user we hold. */
  async deleteDevicesOf(tx: WriteTx, userId: string): Promise<void> {
    await deviceKeysTable.deleteWhere(tx, { index: 'user', equals: userId });
  }

  // One-time and fallback keys

  async oneTimeKey(
    tx: ReadTx,
    userId: string,
    deviceId: string,
    keyId: string,
  ): Promise<JsonValue | undefined> {
    return (await oneTimeKeysTable.get(tx, [userId, deviceId, keyId]))?.key;
  }

  async putOneTimeKey(tx: WriteTx, userId: string, deviceId: string, key: OneTimeKey): Promise<void> {
    const row: OneTimeKeyRow = {
      user_id: userId,
      device_id: deviceId,
      key_id: key.keyId,
      algorithm: algorithmOf(key.keyId),
      key: key.key,
    };
    await oneTimeKeysTable.put(tx, row);
  }

  /** Unclaimed one-time keys per algorithm. */
  async oneTimeKeyCounts(tx: ReadTx, userId: string, deviceId: string): Promise<Record<string, number>> {
    const rows = await oneTimeKeysTable.query(tx, {
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
    const [row] = await oneTimeKeysTable.query(tx, {
      index: 'algorithm',
      equals: [userId, deviceId, algorithm],
      limit: 1,
    });
    if (!row) return undefined;
    await oneTimeKeysTable.delete(tx, [userId, deviceId, row.key_id]);
    return { keyId: row.key_id, key: row.key };
  }

  async fallbackKey(
    tx: ReadTx,
    userId: string,
    deviceId: string,
    algorithm: string,
  ): Promise<(OneTimeKey & { used: boolean }) | undefined> {
    const row = await fallbackKeysTable.get(tx, [userId, deviceId, algorithm]);
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
    await fallbackKeysTable.put(tx, row);
  }

  /** Algorithms whose fallback key has not been handed out yet. */
  async unusedFallbackTypes(tx: ReadTx, userId: string, deviceId: string): Promise<string[]> {
    const rows = await fallbackKeysTable.query(tx, {
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
    return (await crossSigningTable.get(tx, [userId, usage]))?.key;
  }

  async putCrossSigningKey(
    tx: WriteTx,
    userId: string,
    usage: CrossSigningUsage,
    key: JsonObject,
  ): Promise<void> {
    await crossSigningTable.put(tx, { user_id: userId, usage, key });
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
    await signaturesTable.put(tx, row);
  }

  /** Uploaded signatures on the user's keys: target key id → signer user → signer key id → signature. */
  async signaturesOn(
    tx: ReadTx,
    userId: string,
  ): Promise<Map<string, Record<string, Record<string, string>>>> {
    const out = new Map<string, Record<string, Record<string, string>>>();
    for (const row of await signaturesTable.query(tx, { index: 'target', equals: userId })) {
      const byUser = out.get(row.target_key) ?? {};
      byUser[row.signer_user] = { ...byUser[row.signer_user], [row.signer_key]: row.signature };
      out.set(row.target_key, byUser);
    }
    return out;
  }

  // Device-list changes

  async keyChange(tx: ReadTx, userId: string): Promise<KeyChange | undefined> {
    const row = await keyChangesTable.get(tx, userId);
    return row && changeOf(row);
  }

  async putKeyChange(tx: WriteTx, change: KeyChange): Promise<void> {
    const row: KeyChangeRow = { user_id: change.userId, stream: change.stream };
    if (change.prev !== undefined) row.prev = change.prev;
    if (change.remoteStream !== undefined) row.remote_stream = change.remoteStream;
    if (change.stale) row.stale = true;
    await keyChangesTable.put(tx, row);
  }

  /** Users whose devices or cross-signing keys changed at a stream position in (since, upTo]. */
  async keyChangesBetween(tx: ReadTx, since: number, upTo: number): Promise<string[]> {
    const rows = await keyChangesTable.query(tx, {
      index: 'stream',
      range: { lower: since, lowerOpen: true, upper: upTo },
    });
    return rows.map((r) => r.user_id);
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
