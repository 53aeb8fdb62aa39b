import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Backoff } from '../../../src/core/federation/backoff.ts';

describe('Backoff', () => {
  test('doubles from the first delay up to the cap', () => {
    const backoff = new Backoff({ minMs: 1_000, maxMs: 60_000 });
    const delays = Array.from({ length: 9 }, () => backoff.fail());
    assert.deepEqual(delays, [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  });

  test('starts over after a reset', () => {
    const backoff = new Backoff({ minMs: 1_000, maxMs: 60_000 });
    for (let i = 0; i < 20; i++) backoff.fail();
    backoff.reset();
    assert.equal(backoff.fail(), 1_000);
  });

  test('never overflows however long a peer stays away', () => {
    const backoff = new Backoff({ minMs: 1_000, maxMs: 60_000 });
    let last = 0;
    for (let i = 0; i < 10_000; i++) last = backoff.fail();
    assert.equal(last, 60_000);
  });
});
