import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { streamResponse } from '../../../background/worker/response-stream.ts';
import { type BackgroundMessage, MAX_CHUNK_BYTES } from '../../../src/platform/web/client-wire.ts';
import { decodeWireBytes } from '../../../src/platform/web/hs-wire.ts';

function sink(wanted: () => boolean = () => true) {
  const sent: BackgroundMessage[] = [];
  return { sent, send: (msg: BackgroundMessage) => void sent.push(msg), wanted };
}

const types = (sent: BackgroundMessage[]) => sent.map((m) => m.type);
const chunksOf = (sent: BackgroundMessage[]) =>
  sent.flatMap((m) => (m.type === 'chunk' ? [decodeWireBytes(m.bytes)] : []));

describe('streaming a response to a content script', () => {
  test('sends the head, the body in chunks of at most MAX_CHUNK_BYTES, then the end', async () => {
    const body = Uint8Array.from({ length: 2 * MAX_CHUNK_BYTES + 10 }, (_, i) => (i * 31) & 0xff);
    const out = sink();
    await streamResponse(8, { status: 200, headers: {}, body }, out);
    const eight = out.sent;
    assert.deepEqual(types(eight), ['head', 'chunk', 'chunk', 'chunk', 'end']);
    const chunks = chunksOf(eight);
    assert.ok(chunks.every((c) => c.length <= MAX_CHUNK_BYTES));
    assert.deepEqual(new Uint8Array(Buffer.concat(chunks)), body);
  });

  test('a body of one chunk at most goes out at once, head, body and end in one message', () => {
    const out = sink();
    void streamResponse(1, { status: 200, headers: {}, body: new TextEncoder().encode('{"a":1}') }, out);
    void streamResponse(2, { status: 204, headers: { 'content-type': 'image/png' }, body: null }, out);
    void streamResponse(3, { status: 200, headers: {}, body: new Uint8Array(MAX_CHUNK_BYTES) }, out);
    void streamResponse(4, { status: 200, headers: {}, body: '{"b":"é"}' }, out);
    assert.deepEqual(out.sent.slice(0, 1), [
      { type: 'whole', id: 1, status: 200, headers: {}, bytes: { text: '{"a":1}' } },
    ]);
    assert.deepEqual(types(out.sent), ['whole', 'whole', 'whole', 'whole']);
    const [, empty, full, text] = out.sent;
    assert.deepEqual(text, { type: 'whole', id: 4, status: 200, headers: {}, bytes: { text: '{"b":"é"}' } });
    assert.ok(empty?.type === 'whole' && decodeWireBytes(empty.bytes).length === 0);
    assert.ok(full?.type === 'whole' && decodeWireBytes(full.bytes).length === MAX_CHUNK_BYTES);
  });

  test('JSON text of exactly one chunk in UTF-8 goes whole as text; one byte more goes in chunks', async () => {
    // Far more UTF-16 units than MAX_CHUNK_BYTES / 3: only its exact UTF-8 length says it fits.
    const accents = 50_000;
    const exact = `"${'é€'.repeat(accents)}${'a'.repeat(MAX_CHUNK_BYTES - 5 * accents - 2)}"`;
    assert.equal(Buffer.byteLength(exact), MAX_CHUNK_BYTES);
    const out = sink();
    await streamResponse(6, { status: 200, headers: {}, body: exact }, out);
    await streamResponse(7, { status: 200, headers: {}, body: `${exact} ` }, out);
    assert.deepEqual(out.sent[0], { type: 'whole', id: 6, status: 200, headers: {}, bytes: { text: exact } });
    assert.deepEqual(types(out.sent.slice(1)), ['head', 'chunk', 'chunk', 'end']);
    assert.equal(new TextDecoder().decode(Buffer.concat(chunksOf(out.sent))), `${exact} `);
  });

  test('JSON text bigger than a chunk goes as UTF-8 byte chunks, a character never lost at a cut', async () => {
    const text = JSON.stringify({ body: 'é€'.repeat(MAX_CHUNK_BYTES / 2) });
    const out = sink();
    await streamResponse(5, { status: 200, headers: {}, body: text }, out);
    assert.deepEqual(types(out.sent), ['head', 'chunk', 'chunk', 'chunk', 'end']);
    const chunks = chunksOf(out.sent);
    assert.ok(chunks.every((c) => c.length <= MAX_CHUNK_BYTES));
    assert.equal(new TextDecoder().decode(Buffer.concat(chunks)), text);
  });

  test('stops between chunks once the request is no longer wanted (aborted, or its port closed)', async () => {
    let wanted = true;
    const out = sink(() => wanted);
    const body = new Uint8Array(5 * MAX_CHUNK_BYTES);
    const streaming = streamResponse(1, { status: 200, headers: {}, body }, out);
    assert.deepEqual(types(out.sent), ['head', 'chunk'], 'the first chunk goes out at once');
    wanted = false; // as the abort message arriving before the next task does
    await streaming;
    assert.deepEqual(types(out.sent), ['head', 'chunk'], 'no more chunks and no end');
  });

  test('sends nothing for a request given up before its answer was ready', async () => {
    const out = sink(() => false);
    await streamResponse(1, { status: 200, headers: {}, body: new Uint8Array(10) }, out);
    assert.deepEqual(out.sent, []);
  });

  test('a streamed body (media) goes out chunk by chunk, each cut to MAX_CHUNK_BYTES, binary as base64', async () => {
    const parts = [new Uint8Array(MAX_CHUNK_BYTES + 5).fill(0xff), new Uint8Array(7).fill(0x80)];
    async function* chunks() {
      yield* parts;
    }
    const out = sink();
    await streamResponse(3, { status: 200, headers: {}, body: chunks() }, out);
    assert.deepEqual(types(out.sent), ['head', 'chunk', 'chunk', 'chunk', 'end']);
    assert.deepEqual(new Uint8Array(Buffer.concat(chunksOf(out.sent))), new Uint8Array(Buffer.concat(parts)));
  });

  test('a stream that fails half-way ends with an error, never a complete-looking end', async () => {
    async function* chunks() {
      yield new Uint8Array(10);
      throw new Error('blob gone');
    }
    const out = sink();
    await streamResponse(4, { status: 200, headers: {}, body: chunks() }, out);
    assert.deepEqual(types(out.sent), ['head', 'chunk', 'error']);
  });
});
