import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Frame, FrameDecoder, packFrames } from '../../../src/platform/libp2p/frames.ts';
import {
  encodeBody,
  encodedResponseHead,
  GZIP,
  MessageAssembler,
  messageFrames,
  parseRequestHead,
  parseResponseHead,
  requestHead,
} from '../../../src/platform/libp2p/federation-wire.ts';

const origin = 'a'.repeat(64);

function assemble(frames: Frame[], maxBody: number) {
  const wire = [...packFrames(frames, 1)];
  const decoder = new FrameDecoder();
  const assembler = new MessageAssembler(maxBody);
  let body: Uint8Array | undefined;
  for (const chunk of wire) for (const frame of decoder.push(chunk)) body = assembler.add(frame) ?? body;
  return { head: assembler.head, body };
}

test('a request survives the wire: head, query with repeated keys, JSON body', () => {
  const req = {
    method: 'PUT',
    path: '/_matrix/federation/v1/send/1',
    query: { a: ['1', '2'] },
    origin,
    body: { pdus: [] },
  };
  const { kind, bytes } = encodeBody(req.body);
  const { head, body } = assemble([...messageFrames(requestHead(req, kind, bytes.length), bytes)], 1024);
  assert.deepEqual(parseRequestHead(head!), { ...requestHead(req, 'json', bytes.length) });
  assert.deepEqual(JSON.parse(new TextDecoder().decode(body)), { pdus: [] });
});

test('a body larger than the limit is refused from its HEAD, before any of it arrives', () => {
  const { kind, bytes } = encodeBody(new Uint8Array(2048));
  const [headFrame] = [
    ...messageFrames(requestHead({ method: 'PUT', path: '/', origin }, kind, bytes.length), bytes),
  ];
  assert.throws(() => assemble([headFrame!], 1024), { name: 'WireError', violation: 'too-large' });
});

test('more bytes than declared, a missing HEAD or a short body are malformed', () => {
  const honest = (size: number) => {
    const bytes = new Uint8Array(size);
    return [...messageFrames(requestHead({ method: 'PUT', path: '/', origin }, 'bytes', 10), bytes)];
  };
  assert.throws(() => assemble(honest(20), 1024), { name: 'WireError', violation: 'malformed' });
  assert.throws(() => assemble(honest(5), 1024), { name: 'WireError', violation: 'malformed' });
  assert.throws(() => assemble(honest(10).slice(1), 1024), { name: 'WireError', violation: 'malformed' });
});

test('a request head without an origin or with a non-string query value is rejected', () => {
  const head = { method: 'GET', path: '/', query: {}, origin, body: 'none', length: 0 };
  assert.ok(parseRequestHead(head));
  assert.equal(parseRequestHead({ ...head, origin: 5 }), undefined);
  assert.equal(parseRequestHead({ ...head, query: { a: 1 } }), undefined);
  assert.equal(parseRequestHead({ ...head, length: 3 }), undefined);
});

test('a request head names the encodings its client reads, a few strings at most', () => {
  const head = { ...requestHead({ method: 'GET', path: '/', origin }, 'none', 0, [GZIP]) };
  assert.deepEqual(parseRequestHead(head)?.encodings, [GZIP]);
  assert.equal(parseRequestHead({ ...head, encodings: GZIP }), undefined);
  assert.equal(parseRequestHead({ ...head, encodings: [GZIP, 1] }), undefined);
  assert.equal(parseRequestHead({ ...head, encodings: Array(9).fill(GZIP) }), undefined);
});

test('an encoded answer is JSON in gzip with its decoded length; any other is malformed', () => {
  const head = encodedResponseHead(200, 10, 100);
  assert.deepEqual(parseResponseHead({ ...head }), {
    status: 200,
    body: 'json',
    length: 10,
    encoding: GZIP,
    decoded: 100,
  });
  assert.equal(parseResponseHead({ ...head, encoding: 'br' }), undefined);
  assert.equal(parseResponseHead({ ...head, body: 'bytes' }), undefined);
  assert.equal(parseResponseHead({ ...head, decoded: undefined }), undefined);
  assert.equal(parseResponseHead({ ...head, decoded: -1 }), undefined);
  assert.equal(parseResponseHead({ ...head, encoding: undefined }), undefined);
  // More than gzip of 10 bytes could give: a lie, refused at the head.
  assert.equal(parseResponseHead({ ...head, decoded: 10 * 1_032 + 1_025 }), undefined);
});
