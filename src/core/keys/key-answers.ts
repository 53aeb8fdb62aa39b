// The keys we hold for one user as keys/query answers them (spec:
// "POST /_matrix/client/v3/keys/query", server-server "user/keys/query"):
// device keys with the device's display name in `unsigned`, cross-signing
// keys, and uploaded signatures merged in. A user-signing key's signature is
// shown only to the user who made it, and the user-signing key only to its owner.
import { isJsonObject, type JsonObject } from '../protocol/types.ts';
import type { ReadTx } from '../storage/port.ts';
import type { KeysDeps } from './deps.ts';
import { crossSigningPublicKey } from './key-checks.ts';

export interface UserKeys {
  /** device id → device keys. */
  readonly devices: Record<string, JsonObject>;
  readonly master?: JsonObject;
  readonly selfSigning?: JsonObject;
  readonly userSigning?: JsonObject;
}

type SignatureMap = Record<string, Record<string, string>>;

/** `object` with `extra` signatures added to its own. */
function withSignatures(object: JsonObject, extra: SignatureMap | undefined): JsonObject {
  if (!extra) return object;
  const signatures: SignatureMap = isJsonObject(object.signatures)
    ? { ...(object.signatures as SignatureMap) }
    : {};
  for (const [user, keys] of Object.entries(extra)) signatures[user] = { ...signatures[user], ...keys };
  return { ...object, signatures };
}

/** Only the signatures the viewer may see: the owner's own, and the viewer's. */
function visibleTo(map: SignatureMap | undefined, owner: string, viewer: string): SignatureMap | undefined {
  if (!map) return undefined;
  const out: SignatureMap = {};
  for (const user of [owner, viewer]) if (map[user]) out[user] = map[user];
  return out;
}

/**
 * The keys of `userId` we hold, for `viewer` ('' for another server):
 * all devices, or the listed ones.
 */
export async function userKeys(
  deps: KeysDeps,
  tx: ReadTx,
  userId: string,
  deviceIds: readonly string[],
  viewer: string,
): Promise<UserKeys> {
  const { keys } = deps;
  const local = userId.endsWith(`:${deps.serverName}`);
  const [devices, names, signatures, master, selfSigning, userSigning] = await Promise.all([
    keys.devicesOf(tx, userId),
    local ? deps.accounts.devices(tx, userId) : Promise.resolve([]),
    keys.signaturesOn(tx, userId),
    keys.crossSigningKey(tx, userId, 'master'),
    keys.crossSigningKey(tx, userId, 'self_signing'),
    viewer === userId ? keys.crossSigningKey(tx, userId, 'user_signing') : Promise.resolve(undefined),
  ]);
  const displayNames = new Map(names.map((d) => [d.deviceId, d.displayName]));
  const wanted = deviceIds.length > 0 ? new Set(deviceIds) : undefined;
  const out: Record<string, JsonObject> = {};
  for (const device of devices) {
    if (!device.keys || (wanted && !wanted.has(device.deviceId))) continue;
    const name = local ? displayNames.get(device.deviceId) : device.displayName;
    const signed = withSignatures(device.keys, visibleTo(signatures.get(device.deviceId), userId, userId));
    out[device.deviceId] =
      name === undefined ? signed : { ...signed, unsigned: { device_display_name: name } };
  }
  const masterId = master && crossSigningPublicKey(master)?.keyId;
  return {
    devices: out,
    ...(master && {
      master: withSignatures(
        master,
        visibleTo(masterId ? signatures.get(masterId) : undefined, userId, viewer),
      ),
    }),
    ...(selfSigning && { selfSigning }),
    ...(userSigning && { userSigning }),
  };
}
