// POST /_matrix/client/v3/keys/query and keys/claim (spec: "Key management
// API"). Local users are answered from our tables; other servers' users from
// our copy when their server keeps it current (remote-devices.ts), else from
// their server, asked all at once with the request's timeout. A server that
// does not answer in time is listed under `failures`, and whatever copy we
// hold is still returned.
import { badJson } from '../errors.ts';
import { isJsonObject, type JsonObject } from '../protocol/types.ts';
import type { KeysDeps } from './deps.ts';
import { byRemoteServer, serverOf } from './device-lists.ts';
import { userKeys } from './key-answers.ts';
import { isTracked, resyncRemoteUser } from './remote-devices.ts';

/** Spec default for `timeout` (10 s). */
export const DEFAULT_REMOTE_TIMEOUT_MS = 10_000;
/** Remote users' devices fetched at once for one query. */
const FETCHES_AT_ONCE = 8;
/** Users one query or claim may name. */
export const MAX_QUERY_USERS = 1000;

export interface KeysQueryResult {
  device_keys: Record<string, Record<string, JsonObject>>;
  master_keys: Record<string, JsonObject>;
  self_signing_keys: Record<string, JsonObject>;
  user_signing_keys: Record<string, JsonObject>;
  failures: Record<string, JsonObject>;
}

/** `{user: [device ids]}` from a request body; absent lists mean every device. */
export function parseUserDevices(value: unknown, field: string): Map<string, string[]> {
  if (!isJsonObject(value)) throw badJson(`${field} must be an object`);
  const entries = Object.entries(value);
  if (entries.length > MAX_QUERY_USERS) throw badJson(`${field} names too many users`);
  const out = new Map<string, string[]>();
  for (const [userId, devices] of entries) {
    const list = devices === null || devices === undefined ? [] : devices;
    if (!Array.isArray(list) || !list.every((d) => typeof d === 'string'))
      throw badJson(`${field}.${userId} must be a list of device ids`);
    out.set(userId, list as string[]);
  }
  return out;
}

const failure = (err: unknown): JsonObject => ({
  status: 503,
  message: err instanceof Error ? err.message.slice(0, 200) : 'unreachable',
});

export async function queryKeys(
  deps: KeysDeps,
  viewer: string,
  users: Map<string, string[]>,
  timeoutMs: number,
): Promise<KeysQueryResult> {
  const result: KeysQueryResult = {
    device_keys: {},
    master_keys: {},
    self_signing_keys: {},
    user_signing_keys: {},
    failures: {},
  };
  // Remote users we do not track: ask their servers first, all at once.
  const remote = [...users.keys()].filter((u) => serverOf(u) !== deps.serverName);
  if (deps.federation()) {
    const toFetch = [];
    for (const userId of remote) if (!(await isTracked(deps, userId))) toFetch.push(userId);
    // A few at a time: one query may name many users, each one request to a peer.
    const deadline = deps.clock.now() + timeoutMs;
    const queue = [...toFetch];
    const worker = async () => {
      for (let userId = queue.shift(); userId !== undefined; userId = queue.shift()) {
        const left = deadline - deps.clock.now();
        if (left <= 0 || result.failures[serverOf(userId)]) {
          result.failures[serverOf(userId)] ??= { status: 504, message: 'no answer in time' };
          continue;
        }
        await resyncRemoteUser(deps, userId, left).catch((err) => {
          result.failures[serverOf(userId)] = failure(err);
        });
      }
    };
    await Promise.all(Array.from({ length: FETCHES_AT_ONCE }, worker));
  }
  await deps.store.read([...deps.keys.tables, ...deps.accounts.tables], async (tx) => {
    for (const [userId, deviceIds] of users) {
      const keys = await userKeys(deps, tx, userId, deviceIds, viewer);
      result.device_keys[userId] = keys.devices;
      if (keys.master) result.master_keys[userId] = keys.master;
      if (keys.selfSigning) result.self_signing_keys[userId] = keys.selfSigning;
      if (keys.userSigning) result.user_signing_keys[userId] = keys.userSigning;
    }
  });
  return result;
}

/** `{user: {device: algorithm}}` from a claim body. */
export function parseClaims(value: unknown): Map<string, Map<string, string>> {
  if (!isJsonObject(value)) throw badJson('one_time_keys must be an object');
  const entries = Object.entries(value);
  if (entries.length > MAX_QUERY_USERS) throw badJson('one_time_keys names too many users');
  const out = new Map<string, Map<string, string>>();
  for (const [userId, devices] of entries) {
    if (!isJsonObject(devices)) throw badJson(`one_time_keys.${userId} must be an object`);
    const wanted = new Map<string, string>();
    for (const [deviceId, algorithm] of Object.entries(devices)) {
      if (typeof algorithm !== 'string')
        throw badJson(`one_time_keys.${userId}.${deviceId} must be a string`);
      wanted.set(deviceId, algorithm);
    }
    out.set(userId, wanted);
  }
  return out;
}

export type ClaimedKeys = Record<string, Record<string, Record<string, unknown>>>;

/**
 * Claims keys of local users: one one-time key per device, else its fallback
 * key (marked used, and handed out again until replaced), in one transaction.
 */
export async function claimLocalKeys(
  deps: KeysDeps,
  claims: Map<string, Map<string, string>>,
): Promise<ClaimedKeys> {
  const { keys } = deps;
  return deps.store.write(keys.tables, async (tx) => {
    const out: ClaimedKeys = {};
    for (const [userId, devices] of claims) {
      if (serverOf(userId) !== deps.serverName) continue;
      for (const [deviceId, algorithm] of devices) {
        let key = await keys.takeOneTimeKey(tx, userId, deviceId, algorithm);
        if (!key) {
          const fallback = await keys.fallbackKey(tx, userId, deviceId, algorithm);
          if (fallback && !fallback.used) await keys.putFallbackKey(tx, userId, deviceId, fallback, true);
          key = fallback;
        }
        if (!key) continue;
        out[userId] ??= {};
        out[userId]![deviceId] = { [key.keyId]: key.key };
      }
    }
    return out;
  });
}

/** keys/claim: local users here, others' from their servers (at once, within the timeout). */
export async function claimKeys(
  deps: KeysDeps,
  claims: Map<string, Map<string, string>>,
  timeoutMs: number,
): Promise<{ one_time_keys: ClaimedKeys; failures: Record<string, JsonObject> }> {
  const oneTimeKeys = await claimLocalKeys(deps, claims);
  const failures: Record<string, JsonObject> = {};
  const byServer = byRemoteServer(deps.serverName, claims);
  const federation = deps.federation();
  await Promise.all(
    [...byServer].map(async ([server, request]) => {
      if (!federation) {
        failures[server] = { status: 404, message: 'this server is not federating' };
        return;
      }
      try {
        const answer = await federation.post(
          server,
          '/_matrix/federation/v1/user/keys/claim',
          { one_time_keys: request },
          timeoutMs,
        );
        copyClaimed(answer.one_time_keys, request, oneTimeKeys);
      } catch (err) {
        failures[server] = failure(err);
      }
    }),
  );
  return { one_time_keys: oneTimeKeys, failures };
}

/** A peer's claim answer, keeping only the users and devices we asked it about. */
function copyClaimed(answer: unknown, asked: JsonObject, out: ClaimedKeys): void {
  if (!isJsonObject(answer)) return;
  for (const [userId, devices] of Object.entries(answer)) {
    const askedDevices = asked[userId];
    if (!isJsonObject(devices) || !isJsonObject(askedDevices)) continue;
    for (const [deviceId, keys] of Object.entries(devices)) {
      if (!(deviceId in askedDevices) || !isJsonObject(keys) || Object.keys(keys).length !== 1) continue;
      out[userId] ??= {};
      out[userId]![deviceId] = keys;
    }
  }
}
