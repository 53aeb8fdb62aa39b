import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import nacl from 'tweetnacl';
import { decodeBase64, decodeHex, encodeHex, utf8Encode, verifyEd25519 } from '../../src/core/protocol.ts';
import { chooseEd25519, createEd25519Backend } from '../../src/platform/ed25519.ts';
import { systemRandomBytes as randomBytes } from '../../src/platform/system-random.ts';

// RFC 8032 §7.1, TEST 1 and TEST 2.
const RFC_VECTORS = [
  {
    seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
];

/** The spec's signing key seed (appendices, "Cryptographic Test Vectors") and its public key. */
const SPEC_SEED = decodeBase64('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1');
const SPEC_PUBLIC_KEY = '5c65f42514b601fddb7b7927cf67c18916c0a639b60e1eb58170c903c91c24d2';

for (const kind of ['webcrypto', 'tweetnacl'] as const) {
  describe(`Ed25519 on ${kind}, through the core's verifyEd25519`, () => {
    const backend = createEd25519Backend(kind);
    const verify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) =>
      verifyEd25519(backend, publicKey, message, signature);

    test('matches the RFC 8032 vectors', async () => {
      for (const v of RFC_VECTORS) {
        const seed = decodeHex(v.seed);
        const message = decodeHex(v.message);
        assert.equal(encodeHex(await backend.publicKey(seed)), v.publicKey);
        assert.equal(encodeHex(await backend.sign(seed, message)), v.signature);
        assert.equal(await verify(decodeHex(v.publicKey), message, decodeHex(v.signature)), true);
      }
    });

    test('derives the public key of the spec signing key', async () => {
      assert.equal(encodeHex(await backend.publicKey(SPEC_SEED)), SPEC_PUBLIC_KEY);
    });

    test('rejects tampered messages and signatures, and the wrong key', async () => {
      const seed = decodeHex(RFC_VECTORS[1]!.seed);
      const publicKey = await backend.publicKey(seed);
      const signature = await backend.sign(seed, utf8Encode('hello'));
      assert.equal(await verify(publicKey, utf8Encode('hello'), signature), true);
      assert.equal(await verify(publicKey, utf8Encode('hellp'), signature), false);
      const flipped = signature.slice();
      flipped[10]! ^= 1;
      assert.equal(await verify(publicKey, utf8Encode('hello'), flipped), false);
      assert.equal(await verify(decodeHex(SPEC_PUBLIC_KEY), utf8Encode('hello'), signature), false);
    });

    test('verify returns false instead of throwing on malformed input', async () => {
      const v = RFC_VECTORS[0]!;
      const publicKey = decodeHex(v.publicKey);
      const signature = decodeHex(v.signature);
      const empty = new Uint8Array(0);
      assert.equal(await verify(publicKey.subarray(1), empty, signature), false);
      assert.equal(await verify(publicKey, empty, signature.subarray(1)), false);
      assert.equal(await verify(new Uint8Array(0), empty, new Uint8Array(0)), false);
      assert.equal(await verify(new Uint8Array(32).fill(0xff), empty, signature), false);
    });

    test('refuses a signature whose S is not reduced mod L, which tweetnacl alone would accept', async () => {
      const v = RFC_VECTORS[0]!;
      const signature = decodeHex(v.signature);
      const unreduced = withScalarPlusOrder(signature);
      assert.equal(nacl.sign.detached.verify(new Uint8Array(0), unreduced, decodeHex(v.publicKey)), true);
      assert.equal(await verify(decodeHex(v.publicKey), new Uint8Array(0), unreduced), false);
    });

    test('sign and publicKey reject with RangeError for seeds that are not 32 bytes', async () => {
      await assert.rejects(backend.sign(new Uint8Array(31), new Uint8Array(0)), RangeError);
      await assert.rejects(backend.publicKey(new Uint8Array(64)), RangeError);
    });
  });
}

describe('Ed25519 backend choice', () => {
  test('Node 24 has Ed25519 in WebCrypto, so it is used', async () => {
    assert.equal((await chooseEd25519()).kind, 'webcrypto');
  });

  test('both backends produce and accept the same signatures', async () => {
    const webcrypto = createEd25519Backend('webcrypto');
    const tweetnacl = createEd25519Backend('tweetnacl');
    for (let i = 0; i < 8; i++) {
      const seed = randomBytes(32);
      const message = randomBytes(i * 37);
      const signature = await webcrypto.sign(seed, message);
      assert.deepEqual(await tweetnacl.sign(seed, message), signature);
      assert.deepEqual(await tweetnacl.publicKey(seed), await webcrypto.publicKey(seed));
      assert.equal(await tweetnacl.verify(await webcrypto.publicKey(seed), message, signature), true);
    }
  });

  test('the chosen backend signs, derives and verifies', async () => {
    const ed25519 = await chooseEd25519();
    const seed = randomBytes(32);
    const publicKey = await ed25519.publicKey(seed);
    const signature = await ed25519.sign(seed, utf8Encode('m'));
    assert.equal(signature.length, 64);
    assert.equal(await verifyEd25519(ed25519, publicKey, utf8Encode('m'), signature), true);
    assert.equal(await verifyEd25519(ed25519, publicKey, utf8Encode('n'), signature), false);
  });

  test('a cached public key cannot be changed through a returned copy', async () => {
    const ed25519 = createEd25519Backend('webcrypto');
    const seed = randomBytes(32);
    const first = await ed25519.publicKey(seed);
    const expected = encodeHex(first);
    first.fill(0);
    assert.equal(encodeHex(await ed25519.publicKey(seed)), expected);
  });

  test('verifies with more distinct public keys than the key cache holds', async () => {
    const backend = createEd25519Backend('webcrypto');
    const message = utf8Encode('x');
    const results = await Promise.all(
      Array.from({ length: 1100 }, async (_, i) => {
        const seed = new Uint8Array(32).fill(i % 256);
        seed[0] = i >> 8;
        return backend.verify(await backend.publicKey(seed), message, await backend.sign(seed, message));
      }),
    );
    assert.ok(results.every(Boolean));
  });
});

/** Adds the group order L to the S half of a signature (little-endian). */
function withScalarPlusOrder(signature: Uint8Array): Uint8Array {
  const order = decodeHex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');
  const out = signature.slice();
  let carry = 0;
  for (let i = 0; i < 32; i++) {
    const sum = out[32 + i]! + order[i]! + carry;
    out[32 + i] = sum & 0xff;
    carry = sum >> 8;
  }
  return out;
}
