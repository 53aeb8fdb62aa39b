// Terms of searchable text (search-text.ts): ASCII text takes a shorter way
// to the same terms as any text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MAX_TERM_LENGTH, terms, unicodeTerms } from '../../../src/core/rooms/search-text.ts';

test('ASCII text has the same terms as through the Unicode way', () => {
  const words = fc.constantFrom('bulk', 'Hello', 'WORLD', 'a1b2', '42', 'x'.repeat(MAX_TERM_LENGTH + 5));
  const ascii = fc.oneof(
    fc.string({ unit: 'binary-ascii', maxLength: 80 }),
    fc
      .array(fc.oneof(words, fc.string({ unit: 'binary-ascii', maxLength: 3 })), { maxLength: 12 })
      .map((parts) => parts.join('')),
  );
  fc.assert(
    fc.property(ascii, (text) => assert.deepEqual(terms(text), unicodeTerms(text))),
    { numRuns: 3000 },
  );
});

test('terms are folded, split at what is neither a letter nor a digit, and cut at MAX_TERM_LENGTH', () => {
  const long = 'y'.repeat(MAX_TERM_LENGTH + 1);
  assert.deepEqual(terms(`Hello, World! a1-b2 ${long}`), [
    'hello',
    'world',
    'a1',
    'b2',
    long.slice(0, MAX_TERM_LENGTH),
  ]);
  assert.deepEqual(terms('Café naïve'), ['cafe', 'naive']);
  assert.deepEqual(terms('東京 tower'), ['東', '京', 'tower']);
  assert.deepEqual(terms(''), []);
});
