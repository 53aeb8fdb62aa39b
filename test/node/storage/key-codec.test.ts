import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { indexedDB } from 'fake-indexeddb';
import type { Key } from '../../../src/core/storage/port.ts';
import { encodeKey } from '../../../src/node/storage/key-codec.ts';
import { ORDERED_KEYS } from '../../core/storage/conformance/queries.ts';

/** How SQLite compares BLOBs: memcmp, then the shorter first. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return Math.sign(a.length - b.length);
}

/** Any UTF-16 code unit, lone surrogates and U+0000 included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
const anyString = fc.oneof(fc.string({ unit: codeUnit, maxLength: 6 }), fc.string({ maxLength: 6 }));
const anyNumber = fc.oneof(fc.double({ noNaN: true }), fc.integer(), fc.constantFrom(0, -0, 1, -1));
const scalar = fc.oneof(anyNumber, anyString);
const key: fc.Arbitrary<Key> = fc.oneof(
  scalar,
  fc.array(scalar, { maxLength: 4 }),
  fc.array(fc.oneof(scalar, fc.array(scalar, { maxLength: 3 })), { maxLength: 3 }) as fc.Arbitrary<Key>,
);

test('byte order of encoded keys is IndexedDB key order', () => {
  fc.assert(
    fc.property(key, key, (a, b) => {
      assert.equal(compareBytes(encodeKey(a), encodeKey(b)), indexedDB.cmp(a, b));
    }),
    { numRuns: 5000 },
  );
});

test('the listed keys encode in ascending order', () => {
  const encoded = ORDERED_KEYS.map(encodeKey);
  for (let i = 1; i < encoded.length; i++) {
    assert.equal(
      compareBytes(encoded[i - 1]!, encoded[i]!),
      -1,
      `${String(ORDERED_KEYS[i - 1])} < ${String(ORDERED_KEYS[i])}`,
    );
  }
});

test('prefix strings sort first, whatever follows in a compound key', () => {
  const ordered: Key[] = [['a', 'z'], ['a\u0000'], ['a\u0000', 1], ['a\u0001'], ['ab']];
  const sorted = [...ordered].sort((a, b) => compareBytes(encodeKey(a), encodeKey(b)));
  assert.deepEqual(sorted, ordered);
});

test('invalid keys are refused with DataError', () => {
  for (const bad of [Number.NaN, [1, Number.NaN], { a: 1 }, null, true, new Uint8Array(1)]) {
    assert.throws(() => encodeKey(bad as Key), { name: 'DataError' });
  }
  assert.deepEqual(encodeKey(-0), encodeKey(0));
});
