// Rule 4.4.1 of the room v10/v11 authorisation rules: an invite that redeems
// an m.room.third_party_invite, proven by an identity server's signature over
// `content.third_party_invite.signed`.

import nacl from 'tweetnacl';
import { type AuthContext, membershipOf } from './auth-context.ts';
import { decodeBase64, decodeBase64Url } from './base64.ts';
import { tryCanonicalJson } from './canonical-json.ts';
import { type JsonObject, type Verdict, allowed, denied, isJsonObject } from './types.ts';
import { utf8Encode } from './utf8.ts';

/** 4.4.1: membership `invite` with a `third_party_invite` property. */
export function checkThirdPartyInviteMember(ctx: AuthContext, target: string): Verdict {
  const { event } = ctx;
  // 4.4.1.1
  if (membershipOf(ctx, target) === 'ban') return denied('4.4.1.1: target is banned');
  // 4.4.1.2
  const invite = event.content.third_party_invite;
  const signed = isJsonObject(invite) ? invite.signed : undefined;
  if (!isJsonObject(signed)) return denied('4.4.1.2: third_party_invite has no signed property');
  // 4.4.1.3
  if (typeof signed.mxid !== 'string' || typeof signed.token !== 'string') {
    return denied('4.4.1.3: signed has no mxid or no token');
  }
  // 4.4.1.4
  if (signed.mxid !== target) return denied('4.4.1.4: signed mxid is not the state_key');
  // 4.4.1.5
  const thirdPartyInvite = ctx.state('m.room.third_party_invite', signed.token);
  if (!thirdPartyInvite) return denied('4.4.1.5: no m.room.third_party_invite for this token');
  // 4.4.1.6
  if (thirdPartyInvite.sender !== event.sender) {
    return denied('4.4.1.6: sender did not send the m.room.third_party_invite');
  }
  // 4.4.1.7
  if (signedByAnyKey(signed, publicKeysOf(thirdPartyInvite.content))) return allowed;
  // 4.4.1.8
  return denied('4.4.1.8: no signature in signed matches a public key of the m.room.third_party_invite');
}

/** 4.4.1.7.1 `public_key` and 4.4.1.7.2 each `public_keys[].public_key`, decoded; bad ones skipped. */
export function publicKeysOf(content: JsonObject): Uint8Array[] {
  const encoded: unknown[] = [content.public_key];
  if (Array.isArray(content.public_keys)) {
    for (const entry of content.public_keys) if (isJsonObject(entry)) encoded.push(entry.public_key);
  }
  return encoded
    .map((key) => (typeof key === 'string' ? decodeAnyBase64(key) : undefined))
    .filter((key): key is Uint8Array => key?.length === nacl.sign.publicKeyLength);
}

/** Whether any ed25519 signature in `signed.signatures` verifies against any key (spec: "Signing JSON"). */
export function signedByAnyKey(signed: JsonObject, keys: readonly Uint8Array[]): boolean {
  const { signatures, unsigned: _unsigned, ...unsignedPart } = signed;
  if (!isJsonObject(signatures) || keys.length === 0) return false;
  const json = tryCanonicalJson(unsignedPart);
  if (!json.ok) return false;
  const message = utf8Encode(json.json);
  for (const byKeyId of Object.values(signatures)) {
    if (!isJsonObject(byKeyId)) continue;
    for (const encoded of Object.values(byKeyId)) {
      const signature = typeof encoded === 'string' ? decodeAnyBase64(encoded) : undefined;
      if (signature?.length !== nacl.sign.signatureLength) continue;
      if (keys.some((key) => nacl.sign.detached.verify(message, signature, key))) return true;
    }
  }
  return false;
}

/** Identity servers publish keys in standard or URL-safe unpadded base64. */
function decodeAnyBase64(text: string): Uint8Array | undefined {
  for (const decode of [decodeBase64, decodeBase64Url]) {
    try {
      return decode(text);
    } catch {
      // try the other alphabet
    }
  }
  return undefined;
}
