import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BoundedCache } from '../../../src/core/protocol/bounded-cache.ts';

describe('BoundedCache', () => {
  test('evicts the least recently used entry beyond its capacity', () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    assert.equal(cache.get('a'), 1); // a is now the most recent
    cache.set('c', 3);
    assert.equal(cache.size, 2);
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('a'), 1);
    assert.equal(cache.get('c'), 3);
  });

  test('getOrSet makes a value only on a miss', () => {
    const cache = new BoundedCache<string, number>(4);
    let made = 0;
    const make = () => ++made;
    assert.equal(cache.getOrSet('k', make), 1);
    assert.equal(cache.getOrSet('k', make), 1);
    assert.equal(made, 1);
    cache.delete('k');
    assert.equal(cache.getOrSet('k', make), 2);
  });
});
