import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  EncodingError,
  decodeBase64,
  decodeBase64Url,
  decodeHex,
  encodeBase64,
  encodeBase64Url,
  encodeHex,
} from '../../../src/core/protocol/base64.ts';
import { utf8Encode } from '../../../src/core/protocol/utf8.ts';

// appendices.md, "Unpadded Base64".
const SPEC_VECTORS: [string, string][] = [
  ['', ''],
  ['f', 'Zg'],
  ['fo', 'Zm8'],
  ['foo', 'Zm9v'],
  ['foob', 'Zm9vYg'],
  ['fooba', 'Zm9vYmE'],
  ['foobar', 'Zm9vYmFy'],
];

describe('unpadded base64', () => {
  test('encodes the spec examples', () => {
    for (const [plain, encoded] of SPEC_VECTORS) assert.equal(encodeBase64(utf8Encode(plain)), encoded);
  });

  test('decodes the spec examples with and without padding', () => {
    for (const [plain, encoded] of SPEC_VECTORS) {
      const padded = encoded + '='.repeat((4 - (encoded.length % 4)) % 4);
      assert.equal(Buffer.from(decodeBase64(encoded)).toString(), plain);
      assert.equal(Buffer.from(decodeBase64(padded)).toString(), plain);
    }
  });

  test('round-trips every byte value and agrees with Node', () => {
    const bytes = Uint8Array.from({ length: 256 * 3 + 2 }, (_, i) => (i * 7) % 256);
    assert.equal(encodeBase64(bytes), Buffer.from(bytes).toString('base64').replace(/=+$/, ''));
    assert.equal(encodeBase64Url(bytes), Buffer.from(bytes).toString('base64url'));
    assert.deepEqual(decodeBase64(encodeBase64(bytes)), bytes);
    assert.deepEqual(decodeBase64Url(encodeBase64Url(bytes)), bytes);
  });

  test('the url-safe alphabet uses - and _ (v4 event ids)', () => {
    const bytes = Uint8Array.from([0xfb, 0xff, 0xbf]);
    assert.equal(encodeBase64(bytes), '+/+/');
    assert.equal(encodeBase64Url(bytes), '-_-_');
    assert.throws(() => decodeBase64('-_-_'), EncodingError);
    assert.throws(() => decodeBase64Url('+/+/'), EncodingError);
  });

  test('decodes the spec signing key seed, whose last character has stray low bits', () => {
    const seed = decodeBase64('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1');
    assert.equal(seed.length, 32);
    assert.equal(encodeHex(seed.subarray(0, 4)), '6090c103');
  });

  test('rejects malformed input', () => {
    for (const bad of ['Z', 'Zm9vY', 'Zg=', 'Zm9v=', 'Z===', '====', 'Zm 9v', 'Zm9v\n', 'Zé', 'Zg==Zg']) {
      assert.throws(() => decodeBase64(bad), EncodingError, JSON.stringify(bad));
    }
    // Characters beyond ASCII and beyond Latin-1, at any place of a group.
    for (const bad of ['Zm9\u0100', '\u{1F600}m9v', 'Zm9vYm\u00ff', 'Zm9vY\u0000']) {
      assert.throws(() => decodeBase64(bad), EncodingError, JSON.stringify(bad));
      assert.throws(() => decodeBase64Url(bad), EncodingError, JSON.stringify(bad));
    }
  });

  test('agrees with Node at every length around its groups, up to a media-sized piece', () => {
    const random = (n: number) =>
      Uint8Array.from({ length: n }, (_, i) => (Math.imul(i + n, 2654435761) >>> 13) & 0xff);
    for (const n of [...Array.from({ length: 20 }, (_, i) => i), 4095, 4096, 4097, 512 * 1024 + 1]) {
      const bytes = random(n);
      const node = Buffer.from(bytes);
      assert.equal(encodeBase64(bytes), node.toString('base64').replace(/=+$/, ''), `length ${n}`);
      assert.equal(encodeBase64Url(bytes), node.toString('base64url'), `length ${n}`);
      assert.deepEqual(decodeBase64(node.toString('base64')), bytes, `length ${n}`);
      assert.deepEqual(decodeBase64Url(node.toString('base64url')), bytes, `length ${n}`);
    }
  });
});

describe('hex', () => {
  test('encodes lower-case and decodes either case', () => {
    assert.equal(encodeHex(Uint8Array.from([0, 0x0f, 0xab, 0xff])), '000fabff');
    assert.deepEqual(decodeHex('000FabFF'), Uint8Array.from([0, 0x0f, 0xab, 0xff]));
    assert.deepEqual(decodeHex(''), new Uint8Array(0));
  });

  test('rejects odd lengths and non-hex characters', () => {
    for (const bad of ['abc', 'zz', '0x00', ' 00']) assert.throws(() => decodeHex(bad), EncodingError, bad);
  });
});
