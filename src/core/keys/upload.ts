// POST /_matrix/client/v3/keys/upload (spec: "Key management API"):
//   1. Check everything first: device_keys for the caller's own device and
//      signed by it; one-time and fallback keys well formed and signed by the
//      device (its keys from this request or stored); crypto before the
//      transaction (storage/port.ts).
//   2. In one transaction: store new or changed device keys (a device-list
//      change, told to other servers), add one-time keys (an id already held
//      with other content is 400, the same content is a repeat), replace
//      fallback keys, and count what is unclaimed.
import { canonicalJson } from '../protocol/canonical-json.ts';
import { isJsonObject, type JsonObject } from '../protocol/types.ts';
import { MatrixError } from '../errors.ts';
import type { Caller } from '../http/route.ts';
import { checkDeviceKeys, checkSignedKey, ed25519Key } from './key-checks.ts';
import type { KeysDeps } from './deps.ts';
import { announceChange, changeTables, recordLocalChange } from './device-lists.ts';
import type { OneTimeKey } from './keys-store.ts';

/** Unclaimed one-time keys one device may hold (clients keep about 50). */
export const MAX_ONE_TIME_KEYS = 1000;

const invalid = (msg: string) => new MatrixError(400, 'M_INVALID_PARAM', msg);

function keyList(value: unknown, what: string): OneTimeKey[] {
  if (value === undefined || value === null) return [];
  if (!isJsonObject(value)) throw new MatrixError(400, 'M_BAD_JSON', `${what} must be an object`);
  return Object.entries(value).map(([keyId, key]) => ({ keyId, key: key as OneTimeKey['key'] }));
}

export async function uploadKeys(
  deps: KeysDeps,
  caller: Caller,
  body: JsonObject,
): Promise<{ one_time_key_counts: Record<string, number> }> {
  const { userId, deviceId } = caller;
  const { keys } = deps;
  // 1.
  const deviceKeys = body.device_keys ?? undefined;
  if (deviceKeys !== undefined && deviceKeys !== null && !isJsonObject(deviceKeys))
    throw new MatrixError(400, 'M_BAD_JSON', 'device_keys must be an object');
  if (isJsonObject(deviceKeys)) await checkDeviceKeys(deps.ed25519, deviceKeys, userId, deviceId);
  const oneTime = keyList(body.one_time_keys, 'one_time_keys');
  const fallback = keyList(body.fallback_keys, 'fallback_keys');
  if (oneTime.length > MAX_ONE_TIME_KEYS) throw invalid(`at most ${MAX_ONE_TIME_KEYS} one-time keys at once`);
  const stored = isJsonObject(deviceKeys)
    ? deviceKeys
    : await deps.store.read(keys.tables, (tx) => keys.deviceKeys(tx, userId, deviceId));
  const signingKey = stored && ed25519Key(stored, `ed25519:${deviceId}`);
  for (const key of [...oneTime, ...fallback])
    await checkSignedKey(deps.ed25519, key.keyId, key.key, userId, deviceId, signingKey);
  const fallbackAlgorithms = new Set<string>();
  for (const key of fallback) {
    const algorithm = key.keyId.slice(0, key.keyId.indexOf(':'));
    if (fallbackAlgorithms.has(algorithm)) throw invalid(`more than one fallback key for ${algorithm}`);
    fallbackAlgorithms.add(algorithm);
  }
  // 2.
  let destinations: string[] = [];
  let changed = false;
  const counts = await deps.store.write(changeTables(deps), async (tx) => {
    if (isJsonObject(deviceKeys)) {
      const old = await keys.deviceKeys(tx, userId, deviceId);
      if (!old || canonicalJson(old) !== canonicalJson(deviceKeys)) {
        await keys.putDeviceKeys(tx, userId, deviceId, deviceKeys);
        destinations = await recordLocalChange(deps, tx, userId, {
          kind: 'device',
          deviceId,
          keys: deviceKeys,
        });
        changed = true;
      }
    }
    for (const key of oneTime) {
      const old = await keys.oneTimeKey(tx, userId, deviceId, key.keyId);
      if (old === undefined) await keys.putOneTimeKey(tx, userId, deviceId, key);
      else if (canonicalJson(old) !== canonicalJson(key.key))
        throw invalid(`one-time key ${key.keyId} already exists with other content`);
    }
    for (const key of fallback) {
      const old = await keys.fallbackKey(tx, userId, deviceId, key.keyId.slice(0, key.keyId.indexOf(':')));
      const same = old?.keyId === key.keyId && canonicalJson(old.key) === canonicalJson(key.key);
      if (!same) await keys.putFallbackKey(tx, userId, deviceId, key, false);
    }
    const counts = await keys.oneTimeKeyCounts(tx, userId, deviceId);
    if (Object.values(counts).some((n) => n > MAX_ONE_TIME_KEYS))
      throw invalid(`a device holds at most ${MAX_ONE_TIME_KEYS} one-time keys`);
    return counts;
  });
  if (changed) announceChange(deps, destinations);
  // Spec: signed_curve25519 is always present, 0 when none are left.
  return { one_time_key_counts: { signed_curve25519: 0, ...counts } };
}
