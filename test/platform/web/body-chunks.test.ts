import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bodyChunks } from '../../../src/platform/web/body-chunks.ts';
import { MAX_CHUNK_BYTES } from '../../../src/platform/web/client-wire.ts';
import { encodeWireBytes } from '../../../src/platform/web/hs-wire.ts';

const joined = (chunks: Uint8Array[]) => new Uint8Array(Buffer.concat(chunks));

describe('bodyChunks', () => {
  test('cuts a body into consecutive pieces of at most MAX_CHUNK_BYTES that join back to it', () => {
    const body = Uint8Array.from({ length: 2 * MAX_CHUNK_BYTES + 5 }, (_, i) => i & 0x7f);
    const chunks = [...bodyChunks(body)];
    assert.deepEqual(
      chunks.map((c) => c.length),
      [MAX_CHUNK_BYTES, MAX_CHUNK_BYTES, 5],
    );
    assert.deepEqual(joined(chunks), body);
  });

  test('gives nothing for an empty body and one piece for a short one', () => {
    assert.deepEqual([...bodyChunks(new Uint8Array(0))], []);
    assert.deepEqual([...bodyChunks(new Uint8Array([1, 2]))], [new Uint8Array([1, 2])]);
  });

  test('never cuts inside a UTF-8 character, so every piece of text travels as text', () => {
    for (const char of ['é', '€', '😀']) {
      for (let offset = 0; offset < 4; offset++) {
        const text = 'a'.repeat(offset) + char.repeat(20);
        const chunks = [...bodyChunks(new TextEncoder().encode(text), 8)];
        assert.ok(chunks.every((c) => c.length > 0 && c.length <= 8));
        const pieces = chunks.map((c) => encodeWireBytes(c));
        assert.ok(
          pieces.every((p) => 'text' in p),
          `${char} after ${offset} bytes`,
        );
        assert.equal(pieces.map((p) => ('text' in p ? p.text : '')).join(''), text);
      }
    }
  });

  test('cuts bytes that are not UTF-8 anyway, a few bytes short at most', () => {
    const body = new Uint8Array(100).fill(0x80);
    const chunks = [...bodyChunks(body, 8)];
    assert.ok(chunks.every((c) => c.length >= 5 && c.length <= 8));
    assert.deepEqual(joined(chunks), body);
  });
});
