// The keys module's Server-Server side (spec server-server: "End-to-End
// Encryption", "Device Management", "Send-to-device messaging"):
// user/keys/query, user/keys/claim and user/devices/{userId} for our users,
// and the EDUs m.device_list_update, m.signing_key_update and
// m.direct_to_device from peers. A peer only ever gets our own users' keys,
// and speaks only for its own users.
import { forbidden, limitExceeded } from '../errors.ts';
import { BoundedCache } from '../protocol/bounded-cache.ts';
import type { JsonObject } from '../protocol/types.ts';
import type { KeysDeps } from './deps.ts';
import { serverOf } from './device-lists.ts';
import { receiveDeviceListUpdate, receiveSigningKeyUpdate } from './device-list-edus.ts';
import { userKeys } from './key-answers.ts';
import { claimLocalKeys, parseClaims, parseUserDevices } from './query.ts';
import { receiveDirectToDevice } from './to-device.ts';

/** A Server-Server endpoint in the shape the composition root serves (module-adapters.ts keysServerRoutes). */
export interface KeysServerRoute {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  handler(origin: string, params: Readonly<Record<string, string>>, body: JsonObject): Promise<JsonObject>;
}

/** The EDUs of one type in one transaction from `origin`, in their order. */
export type KeysEduHandler = (origin: string, contents: readonly JsonObject[]) => Promise<void>;

const V1 = '/_matrix/federation/v1';

/** One-time keys one peer may claim per minute: more is 429, so a peer cannot drain our users' keys. */
export const MAX_CLAIMS_PER_PEER_MINUTE = 1000;
const MINUTE_MS = 60_000;

/** Counts each peer's claims in the current minute (the peers we remember are bounded too). */
function claimQuota(deps: KeysDeps): (origin: string, count: number) => void {
  const windows = new BoundedCache<string, { start: number; count: number }>(4096);
  return (origin, count) => {
    const now = deps.clock.now();
    const held = windows.get(origin);
    const window = held && now - held.start < MINUTE_MS ? held : { start: now, count: 0 };
    if (window.count + count > MAX_CLAIMS_PER_PEER_MINUTE)
      throw limitExceeded(window.start + MINUTE_MS - now);
    windows.set(origin, { start: window.start, count: window.count + count });
  };
}

export function keysServerRoutes(deps: KeysDeps): KeysServerRoute[] {
  const local = (userId: string) => serverOf(userId) === deps.serverName;
  const charge = claimQuota(deps);
  return [
    {
      method: 'POST',
      path: `${V1}/user/keys/query`,
      async handler(_origin, _params, body) {
        const users = parseUserDevices(body.device_keys, 'device_keys');
        const out: JsonObject = { device_keys: {}, master_keys: {}, self_signing_keys: {} };
        await deps.store.read([...deps.keys.tables, ...deps.accounts.tables], async (tx) => {
          for (const [userId, deviceIds] of users) {
            if (!local(userId)) continue;
            const keys = await userKeys(deps, tx, userId, deviceIds, '');
            (out.device_keys as JsonObject)[userId] = keys.devices;
            if (keys.master) (out.master_keys as JsonObject)[userId] = keys.master;
            if (keys.selfSigning) (out.self_signing_keys as JsonObject)[userId] = keys.selfSigning;
          }
        });
        return out;
      },
    },
    {
      method: 'POST',
      path: `${V1}/user/keys/claim`,
      async handler(origin, _params, body) {
        const claims = parseClaims(body.one_time_keys);
        charge(
          origin,
          [...claims.values()].reduce((n, devices) => n + devices.size, 0),
        );
        return { one_time_keys: (await claimLocalKeys(deps, claims)) as JsonObject };
      },
    },
    {
      method: 'GET',
      path: `${V1}/user/devices/{userId}`,
      async handler(_origin, params) {
        const userId = params.userId!;
        if (!local(userId)) throw forbidden('not a user of this server');
        return deps.store.read([...deps.keys.tables, ...deps.accounts.tables], async (tx) => {
          const [devices, change] = await Promise.all([
            deps.accounts.devices(tx, userId),
            deps.keys.keyChange(tx, userId),
          ]);
          const keys = await userKeys(deps, tx, userId, [], '');
          const out: JsonObject = {
            user_id: userId,
            stream_id: change?.stream ?? 0,
            devices: devices
              .filter((d) => keys.devices[d.deviceId])
              .map((d) => ({
                device_id: d.deviceId,
                keys: keys.devices[d.deviceId]!,
                ...(d.displayName !== undefined && { device_display_name: d.displayName }),
              })),
          };
          if (keys.master) out.master_key = keys.master;
          if (keys.selfSigning) out.self_signing_key = keys.selfSigning;
          return out;
        });
      },
    },
  ];
}

export function keysEduHandlers(deps: KeysDeps): Record<string, KeysEduHandler> {
  return {
    'm.device_list_update': (origin, contents) => eachOf(deps, origin, contents, receiveDeviceListUpdate),
    'm.signing_key_update': (origin, contents) => eachOf(deps, origin, contents, receiveSigningKeyUpdate),
    'm.direct_to_device': (origin, contents) => receiveDirectToDevice(deps, origin, contents),
  };
}

/** One EDU after another (each may ask the origin for keys); one that fails is logged, the rest go on. */
async function eachOf(
  deps: KeysDeps,
  origin: string,
  contents: readonly JsonObject[],
  receive: (deps: KeysDeps, origin: string, content: JsonObject) => Promise<void>,
): Promise<void> {
  for (const content of contents) {
    try {
      await receive(deps, origin, content);
    } catch (err) {
      deps.logger.warn('an EDU failed', { origin, error: String(err) });
    }
  }
}
