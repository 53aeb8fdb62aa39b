import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { encodeHex } from '../../../src/core/protocol/base64.ts';
import { sha256, useSha256 } from '../../../src/core/protocol/crypto.ts';
import { useNodeSha256 } from '../../../src/node/node-sha256.ts';
import { utf8Encode } from '../../../src/core/protocol/utf8.ts';

describe('sha256', () => {
  test("a host's hash is taken only if it hashes the FIPS 180-2 vector right", async () => {
    assert.equal(
      useSha256(() => new Uint8Array(32)),
      false,
    );
    assert.equal(
      useSha256(() => {
        throw new Error('no such algorithm');
      }),
      false,
    );
    assert.equal(useNodeSha256(), true);
  });

  test("Node's hash gives noble's digests, every byte value included", async () => {
    assert.equal(useNodeSha256(), true);
    for (let length = 0; length < 300; length += 7) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 131 + length) & 0xff);
      const digest = await sha256(bytes);
      assert.ok(digest instanceof Uint8Array && digest.length === 32);
      assert.equal(encodeHex(digest), encodeHex(nobleSha256(bytes)), `length ${length}`);
    }
  });

  test('matches the FIPS 180-2 examples', async () => {
    assert.equal(
      encodeHex(await sha256(new Uint8Array(0))),
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    assert.equal(
      encodeHex(await sha256(utf8Encode('abc'))),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
