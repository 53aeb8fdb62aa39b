// Checks of uploaded key objects (spec: "Device keys", "Cross-signing",
// "Signing JSON"). A key object names its owner and carries Ed25519
// signatures over its canonical JSON; we verify the ones the spec makes the
// uploader responsible for before storing anything.
import { MatrixError } from '../errors.ts';
import { decodeBase64, type Ed25519, isJsonObject, type JsonObject, verifyJson } from '../protocol.ts';

export const invalidSignature = (msg: string) => new MatrixError(400, 'M_INVALID_SIGNATURE', msg);
const invalid = (msg: string) => new MatrixError(400, 'M_INVALID_PARAM', msg);

/** Largest key object we store (real ones are a few hundred bytes). */
export const MAX_KEY_OBJECT_CHARS = 8192;

/** The Ed25519 public key `keys[keyId]` of a key object, or undefined when absent or malformed. */
export function ed25519Key(object: JsonObject, keyId: string): Uint8Array | undefined {
  const keys = object.keys;
  const encoded = isJsonObject(keys) ? keys[keyId] : undefined;
  if (typeof encoded !== 'string') return undefined;
  try {
    const bytes = decodeBase64(encoded);
    return bytes.length === 32 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

function checkSize(what: string, object: JsonObject): void {
  if (JSON.stringify(object).length > MAX_KEY_OBJECT_CHARS) throw invalid(`${what} is too large`);
}

/**
 * keys/upload's device_keys: for the caller's own user and device, with
 * algorithms, an ed25519 and a curve25519 key of the device, and the
 * device's own signature over it.
 */
export async function checkDeviceKeys(
  ed25519: Ed25519,
  keys: JsonObject,
  userId: string,
  deviceId: string,
): Promise<void> {
  checkSize('device_keys', keys);
  if (keys.user_id !== userId) throw invalid('device_keys.user_id is not the uploading user');
  if (keys.device_id !== deviceId) throw invalid('device_keys.device_id is not the uploading device');
  if (!Array.isArray(keys.algorithms) || !keys.algorithms.every((a) => typeof a === 'string'))
    throw invalid('device_keys.algorithms must be a list of strings');
  const signingKey = ed25519Key(keys, `ed25519:${deviceId}`);
  if (!signingKey) throw invalid(`device_keys.keys has no ed25519:${deviceId} key`);
  if (!(await verifyJson(ed25519, keys, userId, `ed25519:${deviceId}`, signingKey)))
    throw invalidSignature('device_keys: the device signature does not verify');
}

/** A signed one-time or fallback key `{key, signatures, fallback?}`: signed by the device when we know its key. */
export async function checkSignedKey(
  ed25519: Ed25519,
  keyId: string,
  key: unknown,
  userId: string,
  deviceId: string,
  deviceKey: Uint8Array | undefined,
): Promise<void> {
  if (!/^[A-Za-z0-9_]+:[A-Za-z0-9_+/=-]{1,64}$/.test(keyId))
    throw invalid(`bad key id ${keyId.slice(0, 80)}`);
  if (typeof key === 'string') {
    if (key.length > 128) throw invalid(`key ${keyId} is too large`);
    return;
  }
  if (!isJsonObject(key) || typeof key.key !== 'string')
    throw invalid(`key ${keyId} must be a string or a signed key`);
  checkSize(keyId, key as JsonObject);
  if (deviceKey && !(await verifyJson(ed25519, key, userId, `ed25519:${deviceId}`, deviceKey)))
    throw invalidSignature(`${keyId}: the device signature does not verify`);
}

export type CrossSigningUsage = 'master' | 'self_signing' | 'user_signing';

/** The one Ed25519 key of a cross-signing key object: its id ("ed25519:<base64>") and bytes. */
export function crossSigningPublicKey(key: JsonObject): { keyId: string; bytes: Uint8Array } | undefined {
  if (!isJsonObject(key.keys)) return undefined;
  const ids = Object.keys(key.keys);
  if (ids.length !== 1 || !ids[0]!.startsWith('ed25519:')) return undefined;
  const bytes = ed25519Key(key, ids[0]!);
  return bytes && { keyId: ids[0]!, bytes };
}

/**
 * A cross-signing key (spec: CrossSigningKey): the user's, with the usage,
 * one ed25519 key, and (not for master) the master key's signature.
 */
export async function checkCrossSigningKey(
  ed25519: Ed25519,
  key: JsonObject,
  usage: CrossSigningUsage,
  userId: string,
  master: JsonObject | undefined,
): Promise<void> {
  checkSize(`${usage} key`, key);
  if (key.user_id !== userId) throw invalid(`${usage} key: user_id is not the uploading user`);
  if (!Array.isArray(key.usage) || !key.usage.includes(usage))
    throw invalid(`${usage} key: usage lacks ${usage}`);
  if (!crossSigningPublicKey(key)) throw invalid(`${usage} key must hold exactly one ed25519 key`);
  if (usage === 'master') return;
  const masterKey = master && crossSigningPublicKey(master);
  if (!masterKey) throw invalid(`${usage} key needs a master key`);
  if (!(await verifyJson(ed25519, key, userId, masterKey.keyId, masterKey.bytes)))
    throw invalidSignature(`${usage} key: the master key's signature does not verify`);
}

/** The object's `signatures` without other users' or other keys' entries: what its owner signed. */
export function ownSignatures(object: JsonObject, userId: string): JsonObject {
  const signatures = isJsonObject(object.signatures) ? object.signatures : {};
  const own = signatures[userId];
  return isJsonObject(own) ? { [userId]: own } : {};
}
