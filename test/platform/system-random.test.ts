import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { systemRandomBytes as randomBytes } from '../../src/platform/system-random.ts';

describe('randomBytes', () => {
  test('returns the requested number of bytes, beyond the 64 KiB getRandomValues limit too', () => {
    assert.equal(randomBytes(0).length, 0);
    const big = randomBytes(70_000);
    assert.equal(big.length, 70_000);
    assert.ok(big.subarray(65_536).some((byte) => byte !== 0));
    assert.notDeepEqual(randomBytes(32), randomBytes(32));
  });
});
