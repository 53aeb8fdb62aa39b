import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeBase64, encodeHex } from '../../../src/core/protocol/base64.ts';
import { systemRandomBytes as randomBytes } from '../../../src/platform/system-random.ts';
import {
  P2P_KEY_ID,
  publicKeyFromServerName,
  serverNameFromPublicKey,
  signJson,
  verifyJson,
} from '../../../src/core/protocol/signing.ts';
import { ed25519, signerFor } from '../../support/ed25519.ts';

// appendices.md, "Cryptographic Test Vectors".
const SEED = decodeBase64('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1');
const SERVER = 'domain';
const KEY_ID = 'ed25519:1';

describe('signJson', () => {
  test('signs {} as in the spec', async () => {
    assert.deepEqual(await signJson({}, signerFor(SERVER, SEED, KEY_ID)), {
      signatures: {
        domain: {
          'ed25519:1':
            'K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ',
        },
      },
    });
  });

  test('signs {"one":1,"two":"Two"} as in the spec', async () => {
    assert.deepEqual(await signJson({ one: 1, two: 'Two' }, signerFor(SERVER, SEED, KEY_ID)), {
      one: 1,
      two: 'Two',
      signatures: {
        domain: {
          'ed25519:1':
            'KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw',
        },
      },
    });
  });

  test('ignores signatures and unsigned, keeps both, and leaves the input alone', async () => {
    const input = {
      one: 1,
      two: 'Two',
      unsigned: { age_ts: 5 },
      signatures: { other: { 'ed25519:x': 'abc' }, domain: { 'ed25519:0': 'old' } },
    };
    const copy = structuredClone(input);
    const signed = await signJson(input, signerFor(SERVER, SEED, KEY_ID));
    assert.deepEqual(input, copy);
    assert.deepEqual(signed.unsigned, { age_ts: 5 });
    assert.deepEqual(signed.signatures, {
      other: { 'ed25519:x': 'abc' },
      domain: {
        'ed25519:0': 'old',
        'ed25519:1': 'KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw',
      },
    });
  });

  test('refuses objects that have no canonical JSON form', async () => {
    await assert.rejects(signJson({ a: 1.5 }, signerFor(SERVER, SEED, KEY_ID)), {
      name: 'CanonicalJsonError',
    });
  });
});

describe('verifyJson', () => {
  test('accepts the spec signatures with the spec public key', async () => {
    const publicKey = await ed25519.publicKey(SEED);
    const signed = await signJson({ one: 1, two: 'Two' }, signerFor(SERVER, SEED, KEY_ID));
    assert.equal(await verifyJson(ed25519, signed, SERVER, KEY_ID, publicKey), true);
    assert.equal(
      await verifyJson(ed25519, { ...signed, unsigned: { added: 'later' } }, SERVER, KEY_ID, publicKey),
      true,
    );
  });

  test('returns false, never throws, when the signature does not check out', async () => {
    const publicKey = await ed25519.publicKey(SEED);
    const signed = await signJson({ one: 1 }, signerFor(SERVER, SEED, KEY_ID));
    const cases: [string, object, string, string][] = [
      ['changed content', { ...signed, one: 2 }, SERVER, KEY_ID],
      ['other server', signed, 'elsewhere', KEY_ID],
      ['other key id', signed, SERVER, 'ed25519:2'],
      ['not base64', { ...signed, signatures: { domain: { 'ed25519:1': '!!!' } } }, SERVER, KEY_ID],
      ['not a string', { ...signed, signatures: { domain: { 'ed25519:1': 5 } } }, SERVER, KEY_ID],
      ['signatures not an object', { ...signed, signatures: 'x' }, SERVER, KEY_ID],
      ['no signatures', { one: 1 }, SERVER, KEY_ID],
      ['float in the object', { ...signed, one: 1.5 }, SERVER, KEY_ID],
    ];
    for (const [name, object, server, keyId] of cases) {
      assert.equal(await verifyJson(ed25519, object, server, keyId, publicKey), false, name);
    }
    assert.equal(await verifyJson(ed25519, signed, SERVER, KEY_ID, new Uint8Array(3)), false, 'short key');
  });
});

describe('P2P server names', () => {
  test('a server name is the hex of its public key, and back', async () => {
    const publicKey = await ed25519.publicKey(randomBytes(32));
    const name = serverNameFromPublicKey(publicKey);
    assert.match(name, /^[0-9a-f]{64}$/);
    assert.deepEqual(publicKeyFromServerName(name), publicKey);
  });

  test('other names have no key', () => {
    const hex = encodeHex(new Uint8Array(32).fill(0xab));
    for (const name of ['matrix.org', hex.toUpperCase(), hex.slice(1), `${hex}0`, `${hex}:8448`, '']) {
      assert.equal(publicKeyFromServerName(name), undefined, name);
    }
  });

  test('serverNameFromPublicKey refuses keys that are not 32 bytes', () => {
    assert.throws(() => serverNameFromPublicKey(new Uint8Array(31)), RangeError);
  });

  test('P2P servers sign with ed25519:p2p', async () => {
    const seed = randomBytes(32);
    const name = serverNameFromPublicKey(await ed25519.publicKey(seed));
    const signed = await signJson({ hello: 'world' }, signerFor(name, seed));
    assert.equal(P2P_KEY_ID, 'ed25519:p2p');
    assert.equal(await verifyJson(ed25519, signed, name, P2P_KEY_ID, publicKeyFromServerName(name)!), true);
  });
});
