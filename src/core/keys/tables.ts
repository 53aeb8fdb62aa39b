// The keys module's tables (spec: "End-to-End Encryption"): their names,
// specs and row shapes. Only the module's store classes (keys-store.ts,
// to-device-store.ts, backup-store.ts) read and write them.
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
import type { TableSpec } from '../storage/port.ts';
import { table } from '../storage/table.ts';

export const DEVICE_KEYS = 'e2e_device_keys';
export const ONE_TIME_KEYS = 'e2e_one_time_keys';
export const FALLBACK_KEYS = 'e2e_fallback_keys';
export const CROSS_SIGNING = 'e2e_cross_signing';
export const SIGNATURES = 'e2e_signatures';
export const KEY_CHANGES = 'e2e_key_changes';
export const TO_DEVICE = 'e2e_to_device';
export const TXNS = 'e2e_txns';
export const BACKUP_VERSIONS = 'e2e_backup_versions';
export const BACKUP_KEYS = 'e2e_backup_keys';

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

export interface DeviceKeysRow extends Record<string, unknown> {
  user_id: string;
  device_id: string;
  keys?: JsonObject;
  display_name?: string;
}

export interface OneTimeKeyRow extends Record<string, unknown> {
  user_id: string;
  device_id: string;
  key_id: string;
  algorithm: string;
  key: JsonValue;
}

export interface FallbackKeyRow extends OneTimeKeyRow {
  used: boolean;
}

export interface CrossSigningRow extends Record<string, unknown> {
  user_id: string;
  usage: CrossSigningUsage;
  key: JsonObject;
}

export interface TxnRow extends Record<string, unknown> {
  /** A local user, or the sender of a received EDU. */
  user_id: string;
  /** The sending device; '' for a received EDU's message_id. */
  device_id: string;
  txn_id: string;
  created_ts: number;
}

export interface SignatureRow extends Record<string, unknown> {
  target_user: string;
  target_key: string;
  signer_user: string;
  signer_key: string;
  signature: string;
}

export interface KeyChangeRow extends Record<string, unknown> {
  user_id: string;
  stream: number;
  prev?: number;
  remote_stream?: number;
  stale?: boolean;
}

export interface ToDeviceRow extends Record<string, unknown> {
  user_id: string;
  device_id: string;
  stream: number;
  origin: string;
  sender: string;
  type: string;
  content: JsonObject;
}

export interface BackupVersionRow extends Record<string, unknown> {
  user_id: string;
  version: number;
  algorithm: string;
  auth_data: JsonObject;
  etag: number;
  deleted: boolean;
}

export interface BackupKeyRow extends Record<string, unknown> {
  user_id: string;
  version: number;
  room_id: string;
  session_id: string;
  data: JsonObject;
}

export const algorithmOf = (keyId: string) => keyId.slice(0, keyId.indexOf(':'));
/** Above every real stream position, for "up to the end" ranges. */
export const END = Number.MAX_SAFE_INTEGER;

/** The typed store of the keys module (see the header). */

type Pair = readonly [string, string];
type Triple = readonly [string, string, string];

export const deviceKeysTable = table<DeviceKeysRow, Pair>(DEVICE_KEYS);
export const oneTimeKeysTable = table<OneTimeKeyRow, Triple>(ONE_TIME_KEYS);
export const fallbackKeysTable = table<FallbackKeyRow, Triple>(FALLBACK_KEYS);
export const crossSigningTable = table<CrossSigningRow, Pair>(CROSS_SIGNING);
export const signaturesTable = table<SignatureRow, readonly [string, string, string, string]>(SIGNATURES);
export const keyChangesTable = table<KeyChangeRow, string>(KEY_CHANGES);
export const toDeviceTable = table<ToDeviceRow, readonly [string, string, number]>(TO_DEVICE);
export const txnsTable = table<TxnRow, Triple>(TXNS);
export const backupVersionsTable = table<BackupVersionRow, readonly [string, number]>(BACKUP_VERSIONS);
export const backupKeysTable = table<BackupKeyRow, readonly [string, number, string, string]>(BACKUP_KEYS);
