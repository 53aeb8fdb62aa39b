import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  utf8ByteLength,
  utf8Encode,
  utf8EncodePure,
  utf8Transient,
} from '../../../src/core/protocol/utf8.ts';

const SAMPLES = ['', 'abc', 'é', '日本語', '😀', 'a\u0000b', '\uFFFF', `mixed é日😀 ${'x'.repeat(300)}`];

describe('utf8', () => {
  test('the portable encoder matches the platform TextEncoder', () => {
    for (const text of SAMPLES) assert.deepEqual(utf8EncodePure(text), new TextEncoder().encode(text), text);
  });

  test('utf8Encode gives the UTF-8 bytes', () => {
    assert.deepEqual([...utf8Encode('日😀')], [0xe6, 0x97, 0xa5, 0xf0, 0x9f, 0x98, 0x80]);
  });

  test('a lone surrogate becomes U+FFFD, as TextEncoder does', () => {
    assert.deepEqual(utf8EncodePure('a\uD800b'), new TextEncoder().encode('a\uD800b'));
    assert.deepEqual(utf8EncodePure('\uDC00'), Uint8Array.from([0xef, 0xbf, 0xbd]));
  });

  test('utf8ByteLength counts bytes, not UTF-16 units', () => {
    for (const text of SAMPLES)
      assert.equal(utf8ByteLength(text), new TextEncoder().encode(text).length, text);
    assert.equal(utf8ByteLength('日'.repeat(100)), 300);
    // Lone surrogates count as U+FFFD (three bytes), as TextEncoder writes them.
    for (const text of ['\uD800', 'a\uDC00b', 'x\uD83D', '\uDE00\uD83D', '\uD83D\uD83D\uDE00'])
      assert.equal(utf8ByteLength(text), new TextEncoder().encode(text).length, JSON.stringify(text));
  });

  test('utf8Transient gives the bytes utf8Encode gives, in a buffer the next call reuses', () => {
    // Longer texts after shorter ones: the kept buffer grows; past its limit a new array is made.
    const texts = [...SAMPLES, 'é'.repeat(5_000), '😀'.repeat(40_000), 'x'.repeat(90_000), 'a\uD800b'];
    for (const text of texts) assert.deepEqual(utf8Transient(text), utf8Encode(text), text.slice(0, 20));
    const first = utf8Transient('first');
    const firstCopy = first.slice();
    utf8Transient('other');
    assert.notDeepEqual(first, firstCopy, 'the bytes are transient: the next call overwrites them');
  });
});
