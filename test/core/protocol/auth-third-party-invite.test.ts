import { describe, test } from 'node:test';
import nacl from 'tweetnacl';
import { checkAuth } from '../../../src/core/protocol/auth-rules.ts';
import { encodeBase64, encodeBase64Url } from '../../../src/core/protocol/base64.ts';
import { canonicalJson } from '../../../src/core/protocol/canonical-json.ts';
import type { JsonObject } from '../../../src/core/protocol/types.ts';
import { RoomBuilder } from '../../support/room-builder.ts';
import { assertAllowed, assertDenied } from '../../support/verdicts.ts';

const ALICE = '@alice:a';
const BOB = '@bob:b';
const TOKEN = 'abc123';

/** `signed` as an identity server would produce it for `mxid`, signed with `secretKey`. */
function signedBlock(mxid: string, secretKey: Uint8Array, token = TOKEN): JsonObject {
  const unsigned = { mxid, token, sender: ALICE };
  const signature = nacl.sign.detached(new TextEncoder().encode(canonicalJson(unsigned)), secretKey);
  return { ...unsigned, signatures: { 'id.example': { 'ed25519:0': encodeBase64(signature) } } };
}

/** A room where Alice made a third-party invite whose key is `identity`'s. */
function roomWithThirdPartyInvite(
  identity: nacl.SignKeyPair,
  keyField: 'public_key' | 'public_keys' = 'public_key',
) {
  const room = new RoomBuilder({ creator: ALICE, joinRule: 'invite' });
  const key = encodeBase64(identity.publicKey);
  const keys: JsonObject =
    keyField === 'public_key' ? { public_key: key } : { public_keys: [{ public_key: key }] };
  room.event({
    type: 'm.room.third_party_invite',
    sender: ALICE,
    stateKey: TOKEN,
    content: { display_name: 'b...@example.org', key_validity_url: 'https://id.example/isvalid', ...keys },
  });
  return room;
}

/** A deterministic key pair whose URL-safe encoding has `-` or `_`, so the standard decoder refuses it. */
function keyPairWhoseUrlSafeKeyDiffers(): nacl.SignKeyPair {
  for (let seed = 0; ; seed++) {
    const pair = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(seed));
    if (/[-_]/.test(encodeBase64Url(pair.publicKey))) return pair;
  }
}

function checkInvite(room: RoomBuilder, sender: string, thirdPartyInvite: JsonObject, target = BOB) {
  const content = { third_party_invite: thirdPartyInvite };
  return checkAuth(room.buildMember(sender, target, 'invite', content), room.stateLookup(), room.version);
}

describe('4.4.1: invites redeeming an m.room.third_party_invite', () => {
  const identity = nacl.sign.keyPair();

  test('a signature by the identity server’s key allows the invite', () => {
    const room = roomWithThirdPartyInvite(identity);
    assertAllowed(
      checkInvite(room, ALICE, { display_name: 'Bob', signed: signedBlock(BOB, identity.secretKey) }),
    );
  });

  test('4.4.1.7.2: keys listed in public_keys count too', () => {
    const room = roomWithThirdPartyInvite(identity, 'public_keys');
    assertAllowed(checkInvite(room, ALICE, { signed: signedBlock(BOB, identity.secretKey) }));
  });

  test('URL-safe encoded public keys are accepted', () => {
    const urlSafe = keyPairWhoseUrlSafeKeyDiffers();
    const room = new RoomBuilder({ creator: ALICE });
    const content = { public_key: encodeBase64Url(urlSafe.publicKey) };
    room.event({ type: 'm.room.third_party_invite', sender: ALICE, stateKey: TOKEN, content });
    assertAllowed(checkInvite(room, ALICE, { signed: signedBlock(BOB, urlSafe.secretKey) }));
  });

  test('4.4.1.8: a signature by another key is rejected', () => {
    const room = roomWithThirdPartyInvite(identity);
    const forged = signedBlock(BOB, nacl.sign.keyPair().secretKey);
    assertDenied(checkInvite(room, ALICE, { signed: forged }), '4.4.1.8');
  });

  test('4.4.1.8: a tampered signed block is rejected', () => {
    const room = roomWithThirdPartyInvite(identity);
    const tampered = { ...signedBlock(BOB, identity.secretKey), sender: '@mallory:m' };
    assertDenied(checkInvite(room, ALICE, { signed: tampered }), '4.4.1.8');
  });

  test('4.4.1.8: missing or malformed signatures are rejected', () => {
    const room = roomWithThirdPartyInvite(identity);
    const { signatures: _, ...unsigned } = signedBlock(BOB, identity.secretKey);
    assertDenied(checkInvite(room, ALICE, { signed: unsigned }), '4.4.1.8');
    const garbage = { ...unsigned, signatures: { 'id.example': { 'ed25519:0': 'not base64!' } } };
    assertDenied(checkInvite(room, ALICE, { signed: garbage }), '4.4.1.8');
  });

  test('4.4.1.5: a token naming no m.room.third_party_invite is rejected', () => {
    const room = roomWithThirdPartyInvite(identity);
    const signed = signedBlock(BOB, identity.secretKey, 'other-token');
    assertDenied(checkInvite(room, ALICE, { signed }), '4.4.1.5');
  });

  test('4.4.1.4: mxid must be the invited user', () => {
    const room = roomWithThirdPartyInvite(identity);
    assertDenied(
      checkInvite(room, ALICE, { signed: signedBlock('@carol:c', identity.secretKey) }),
      '4.4.1.4',
    );
  });

  test('4.4.1.3: signed needs mxid and token', () => {
    const room = roomWithThirdPartyInvite(identity);
    assertDenied(checkInvite(room, ALICE, { signed: { mxid: BOB } }), '4.4.1.3');
  });

  test('4.4.1.2: third_party_invite needs signed', () => {
    const room = roomWithThirdPartyInvite(identity);
    assertDenied(checkInvite(room, ALICE, { display_name: 'Bob' }), '4.4.1.2');
  });

  test('4.4.1.6: only the sender of the m.room.third_party_invite may redeem it', () => {
    const room = roomWithThirdPartyInvite(identity);
    room.join('@carol:c');
    assertDenied(checkInvite(room, '@carol:c', { signed: signedBlock(BOB, identity.secretKey) }), '4.4.1.6');
  });

  test('4.4.1.1: a banned target cannot be invited', () => {
    const room = roomWithThirdPartyInvite(identity);
    room.ban(ALICE, BOB);
    assertDenied(checkInvite(room, ALICE, { signed: signedBlock(BOB, identity.secretKey) }), '4.4.1.1');
  });
});
