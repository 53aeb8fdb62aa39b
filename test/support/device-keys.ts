// Real Ed25519 keys for tests of the keys module: a device's signed
// device_keys and signed one-time keys, and cross-signing keys, made the way
// a client makes them (spec: "Signing JSON"). Seeds are derived from a label
// so tests are repeatable.
import { createHash } from 'node:crypto';
import { encodeBase64, type JsonObject, signJson } from '../../src/core/protocol.ts';
import { ed25519, signerFor } from './ed25519.ts';

export function seedOf(label: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(label).digest());
}

export interface TestDevice {
  readonly userId: string;
  readonly deviceId: string;
  readonly seed: Uint8Array;
  /** The device's signed device_keys. */
  deviceKeys(): Promise<JsonObject>;
  /** A signed_curve25519 key with id `signed_curve25519:<id>`, signed by the device. */
  signedKey(id: string, fallback?: boolean): Promise<[string, JsonObject]>;
  /** Signs any object as this device. */
  sign<T extends object>(object: T): Promise<T & { signatures: Record<string, Record<string, string>> }>;
}

export async function testDevice(userId: string, deviceId: string): Promise<TestDevice> {
  const seed = seedOf(`${userId}/${deviceId}`);
  const signingKey = encodeBase64(await ed25519.publicKey(seed));
  const curve = encodeBase64(seedOf(`${userId}/${deviceId}/curve`));
  const sign = <T extends object>(object: T) =>
    signJson(object, signerFor(userId, seed, `ed25519:${deviceId}`));
  return {
    userId,
    deviceId,
    seed,
    sign,
    deviceKeys: () =>
      sign({
        user_id: userId,
        device_id: deviceId,
        algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
        keys: { [`curve25519:${deviceId}`]: curve, [`ed25519:${deviceId}`]: signingKey },
      }) as Promise<JsonObject>,
    async signedKey(id, fallback) {
      const key = encodeBase64(seedOf(`${userId}/${deviceId}/otk/${id}`));
      const body = fallback ? { key, fallback: true } : { key };
      return [`signed_curve25519:${id}`, (await sign(body)) as JsonObject];
    },
  };
}

export interface CrossSigningKey {
  readonly seed: Uint8Array;
  readonly keyId: string;
  readonly key: JsonObject;
}

/** A cross-signing key of `usage`, signed by `signer` (the master key) if given; `label` makes another one. */
export async function crossSigningKey(
  userId: string,
  usage: 'master' | 'self_signing' | 'user_signing',
  signer?: CrossSigningKey,
  label = '',
): Promise<CrossSigningKey> {
  const seed = seedOf(`${userId}/${usage}${label}`);
  const publicKey = encodeBase64(await ed25519.publicKey(seed));
  const keyId = `ed25519:${publicKey}`;
  const unsigned = { user_id: userId, usage: [usage], keys: { [keyId]: publicKey } };
  const key = signer ? await signJson(unsigned, signerFor(userId, signer.seed, signer.keyId)) : unsigned;
  return { seed, keyId, key: key as JsonObject };
}
