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

/** The value with every array in it frozen, as search entries are (rooms/search-index.ts). */
function frozenArrays(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return Object.freeze(value.map(frozenArrays));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    Object.defineProperty(out, k, {
      value: frozenArrays(v),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  return out;
}

test('rows with frozen arrays are encoded as the same rows unfrozen, and the rows are left as they were', () => {
  fc.assert(
    fc.property(dictionary(value.value), (row) => {
      const frozen = frozenArrays(row) as Record<string, unknown>;
      const before = structuredClone(frozen);
      assert.equal(encodeRow(frozen), encodeRow(row));
      assert.deepStrictEqual(frozen, before);
    }),
    { numRuns: 2000 },
  );
  // An own "__proto__" member holding frozen arrays stays a member of the copy encoded.
  const text = '{"__proto__":[[1,"bulk",3]],"e":"$e"}';
  assert.equal(encodeRow(frozenArrays(JSON.parse(text)) as Record<string, unknown>), text);
});

test('a Buffer comes back as plain bytes', () => {
  const back = decodeRow(encodeRow({ b: Buffer.from([1, 2, 3]) }));
  assert.deepStrictEqual(back, { b: new Uint8Array([1, 2, 3]) });
});
