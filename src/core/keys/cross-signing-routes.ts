// Cross-signing (spec: "Cross-signing", "POST
// /_matrix/client/v3/keys/device_signing/upload", "POST
// /_matrix/client/v3/keys/signatures/upload").
//
// device_signing/upload:
//   1. User-interactive auth with the password, except for the first upload
//      (no master key yet) and for a repeat of the keys already held.
//   2. Each key is the user's, with its usage and one ed25519 key; the
//      self-signing and user-signing keys carry the master key's signature.
//   3. One transaction stores them; the master and self-signing keys go to
//      the servers sharing a room as m.signing_key_update.
// signatures/upload checks each signature against the key that made it and
// stores only those that verify; the others are listed under `failures`.
import { canonicalJson } from '../protocol/canonical-json.ts';
import { badJson } from '../errors.ts';
import { jsonObjectBody } from '../http/json-body.ts';
import type { Route } from '../http/route.ts';
import { isJsonObject, type JsonObject, verifyJson } from '../protocol.ts';
import type { ReadTx, WriteTx } from '../storage/port.ts';
import type { KeysDeps } from './deps.ts';
import { announceChange, changeTables, recordLocalChange } from './device-lists.ts';
import { userKeys } from './key-answers.ts';
import {
  type CrossSigningUsage,
  checkCrossSigningKey,
  crossSigningPublicKey,
  ed25519Key,
} from './key-checks.ts';
import { callerOf, V3 } from './route-helpers.ts';

const USAGES: readonly [CrossSigningUsage, string][] = [
  ['master', 'master_key'],
  ['self_signing', 'self_signing_key'],
  ['user_signing', 'user_signing_key'],
];

export function crossSigningRoutes(deps: KeysDeps): Route[] {
  return [
    {
      method: 'POST',
      path: `${V3}/keys/device_signing/upload`,
      auth: 'required',
      async handler(ctx) {
        const { userId } = callerOf(ctx);
        const body = jsonObjectBody(ctx.req) as JsonObject;
        const uploaded = new Map<CrossSigningUsage, JsonObject>();
        for (const [usage, field] of USAGES) {
          const value = body[field];
          if (value === undefined || value === null) continue;
          if (!isJsonObject(value)) throw badJson(`${field} must be an object`);
          uploaded.set(usage, value);
        }
        // 1.
        const held = await deps.store.read(deps.keys.tables, async (tx) => heldKeys(deps, tx, userId));
        const repeat = [...uploaded].every(([usage, key]) => {
          const old = held.get(usage);
          return old !== undefined && canonicalJson(old) === canonicalJson(key);
        });
        if (held.has('master') && !repeat) {
          const challenge = await deps.accounts.authenticate(userId, 'device_signing_upload', body);
          if (challenge) return challenge;
        }
        // 2.
        const master = uploaded.get('master') ?? held.get('master');
        for (const [usage, key] of uploaded)
          await checkCrossSigningKey(deps.ed25519, key, usage, userId, master);
        if (repeat && uploaded.size > 0) return { body: {} };
        // 3.
        const destinations = await deps.store.write(changeTables(deps), async (tx) => {
          for (const [usage, key] of uploaded) await deps.keys.putCrossSigningKey(tx, userId, usage, key);
          return recordLocalChange(deps, tx, userId, {
            kind: 'signing',
            content: await signingUpdate(deps, tx, userId),
          });
        });
        announceChange(deps, destinations);
        return { body: {} };
      },
    },
    {
      method: 'POST',
      path: `${V3}/keys/signatures/upload`,
      auth: 'required',
      async handler(ctx) {
        const body = jsonObjectBody(ctx.req) as JsonObject;
        return { body: await uploadSignatures(deps, callerOf(ctx).userId, body) };
      },
    },
  ];
}

async function heldKeys(
  deps: KeysDeps,
  tx: ReadTx,
  userId: string,
): Promise<Map<CrossSigningUsage, JsonObject>> {
  const held = new Map<CrossSigningUsage, JsonObject>();
  for (const [usage] of USAGES) {
    const key = await deps.keys.crossSigningKey(tx, userId, usage);
    if (key) held.set(usage, key);
  }
  return held;
}

/** The m.signing_key_update content: the master (with signatures) and self-signing keys held now. */
async function signingUpdate(deps: KeysDeps, tx: ReadTx, userId: string): Promise<JsonObject> {
  const keys = await userKeys(deps, tx, userId, ['\u0000none'], '');
  return {
    user_id: userId,
    ...(keys.master && { master_key: keys.master }),
    ...(keys.selfSigning && { self_signing_key: keys.selfSigning }),
  };
}

interface PendingSignature {
  readonly target: { userId: string; keyId: string };
  readonly signer: { userId: string; keyId: string };
  readonly signature: string;
}

type Failures = Record<string, Record<string, JsonObject>>;

/** POST keys/signatures/upload: {user: {key id: signed object}} → {failures}. */
async function uploadSignatures(
  deps: KeysDeps,
  signer: string,
  body: JsonObject,
): Promise<{ failures: Failures }> {
  const failures: Failures = {};
  const fail = (userId: string, keyId: string, errcode: string, error: string) => {
    failures[userId] = { ...failures[userId], [keyId]: { errcode, error } };
  };
  const [own, selfSigning, userSigning] = await deps.store.read(deps.keys.tables, async (tx) => [
    await deps.keys.devicesOf(tx, signer),
    await deps.keys.crossSigningKey(tx, signer, 'self_signing'),
    await deps.keys.crossSigningKey(tx, signer, 'user_signing'),
  ]);
  const pending: PendingSignature[] = [];
  for (const [userId, objects] of Object.entries(body)) {
    if (!isJsonObject(objects)) continue;
    for (const [keyId, object] of Object.entries(objects)) {
      if (!isJsonObject(object)) {
        fail(userId, keyId, 'M_BAD_JSON', 'not an object');
        continue;
      }
      const found = await signatureOf(deps, { signer, own, selfSigning, userSigning }, userId, keyId, object);
      if (typeof found === 'string') fail(userId, keyId, 'M_INVALID_SIGNATURE', found);
      else pending.push(...found);
    }
  }
  if (pending.length === 0) return { failures };
  const destinations = await deps.store.write(changeTables(deps), async (tx) => {
    for (const p of pending) await deps.keys.putSignature(tx, p.target, p.signer, p.signature);
    return announceSigned(deps, tx, signer, pending);
  });
  announceChange(deps, destinations);
  return { failures };
}

interface SignerKeys {
  readonly signer: string;
  readonly own: { deviceId: string; keys?: JsonObject }[];
  readonly selfSigning: JsonObject | undefined;
  readonly userSigning: JsonObject | undefined;
}

/**
 * The verified signatures on one uploaded object, or why there are none:
 * the signer's own device signed by its self-signing key, the signer's
 * master key signed by one of its devices, or another user's master key
 * signed by the signer's user-signing key. The object must be the key we hold.
 */
async function signatureOf(
  deps: KeysDeps,
  s: SignerKeys,
  userId: string,
  keyId: string,
  object: JsonObject,
): Promise<PendingSignature[] | string> {
  const heldMaster = await deps.store.read(deps.keys.tables, (tx) =>
    deps.keys.crossSigningKey(tx, userId, 'master'),
  );
  const masterKey = heldMaster && crossSigningPublicKey(heldMaster);
  const sameAs = (held: JsonObject) => canonicalJson(unsigned(held)) === canonicalJson(unsigned(object));
  const signatures = isJsonObject(object.signatures) ? object.signatures : {};
  const bySigner = isJsonObject(signatures[s.signer])
    ? (signatures[s.signer] as Record<string, unknown>)
    : {};
  const out: PendingSignature[] = [];
  const add = async (target: string, signerKeyId: string, publicKey: Uint8Array) => {
    const signature = bySigner[signerKeyId];
    if (typeof signature !== 'string') return;
    if (await verifyJson(deps.ed25519, object, s.signer, signerKeyId, publicKey))
      out.push({
        target: { userId, keyId: target },
        signer: { userId: s.signer, keyId: signerKeyId },
        signature,
      });
  };
  if (masterKey && keyId === masterKey.keyId.slice('ed25519:'.length)) {
    if (!sameAs(heldMaster!)) return 'not the master key held';
    if (userId === s.signer) {
      for (const device of s.own) {
        const key = device.keys && ed25519Key(device.keys, `ed25519:${device.deviceId}`);
        if (key) await add(masterKey.keyId, `ed25519:${device.deviceId}`, key);
      }
    } else {
      const usk = s.userSigning && crossSigningPublicKey(s.userSigning);
      if (usk) await add(masterKey.keyId, usk.keyId, usk.bytes);
    }
  } else if (userId === s.signer) {
    const device = s.own.find((d) => d.deviceId === keyId);
    if (!device?.keys) return 'no such key';
    if (!sameAs(device.keys)) return 'not the device keys held';
    const ssk = s.selfSigning && crossSigningPublicKey(s.selfSigning);
    if (ssk) await add(keyId, ssk.keyId, ssk.bytes);
  } else {
    return 'no such key';
  }
  return out.length > 0 ? out : 'no signature verifies';
}

/** What a signature covers: the object without `signatures` and `unsigned`. */
function unsigned(object: JsonObject): JsonObject {
  const { signatures: _s, unsigned: _u, ...rest } = object;
  return rest;
}

/** Tells the signer's servers what changed: signed devices as device-list updates, a signed master key as a signing-key update. */
async function announceSigned(
  deps: KeysDeps,
  tx: WriteTx,
  signer: string,
  pending: readonly PendingSignature[],
): Promise<string[]> {
  const destinations: string[] = [];
  const devices = new Set(
    pending
      .filter((p) => p.target.userId === signer && !p.target.keyId.startsWith('ed25519:'))
      .map((p) => p.target.keyId),
  );
  for (const deviceId of devices) {
    const signed = (await userKeys(deps, tx, signer, [deviceId], '')).devices[deviceId];
    destinations.push(
      ...(await recordLocalChange(deps, tx, signer, {
        kind: 'device',
        deviceId,
        ...(signed && { keys: signed }),
      })),
    );
  }
  if (pending.some((p) => p.target.keyId.startsWith('ed25519:')))
    destinations.push(
      ...(await recordLocalChange(deps, tx, signer, {
        kind: 'signing',
        content: await signingUpdate(deps, tx, signer),
      })),
    );
  return [...new Set(destinations)];
}
