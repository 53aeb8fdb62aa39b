import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeRow, encodeRow } from '../../../src/node/storage/row-codec.ts';

/** Keys as JSON objects can hold them: '__proto__' would not come back as an own key. */
const key = fc
  .oneof(fc.string(), fc.constantFrom('\u0001', '\u0001n', '\u0001\u0001', '$bytes'))
  .filter((k) => k !== '__proto__');
const dictionary = <T>(values: fc.Arbitrary<T>) =>
  fc.dictionary(key, values, { maxKeys: 3, noNullPrototype: true });

const value = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 8 }),
    fc.array(tie('value'), { maxLength: 3 }),
    dictionary(tie('value')),
  ),
}));

test('rows round-trip through the codec, bytes and special numbers included', () => {
  fc.assert(
    fc.property(dictionary(value.value), (row) => {
      assert.deepStrictEqual(decodeRow(encodeRow(row)), row);
    }),
    { numRuns: 2000 },
  );
});

test('plain rows are stored as plain JSON', () => {
  const row = { event_id: '$abc', prev_events: ['$a', '$b'], content: { body: 'hi' } };
  assert.equal(encodeRow(row), JSON.stringify(row));
});

test('a Buffer comes back as plain bytes', () => {
  const back = decodeRow(encodeRow({ b: Buffer.from([1, 2, 3]) }));
  assert.deepStrictEqual(back, { b: new Uint8Array([1, 2, 3]) });
});
