import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
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
