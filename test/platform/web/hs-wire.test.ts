import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StreamedBody } from '../../../src/core/http/streamed-body.ts';
import { jsonResponse } from '../../../src/core/http/respond.ts';
import {
  decodeWireBody,
  decodeWireBytes,
  encodeWireBody,
  encodeWireBytes,
  fromHsResponse,
  toHsRequest,
} from '../../../src/platform/web/hs-wire.ts';
import { MAX_CHUNK_BYTES } from '../../../src/platform/web/client-wire.ts';

describe('wire bodies', () => {
  test('UTF-8 travels as text, other bytes as base64, and both come back unchanged', () => {
    const json = new TextEncoder().encode('{"body":"héllo"}');
    const binary = new Uint8Array([0xff, 0x00, 0xfe, 0x80]);
    assert.deepEqual(encodeWireBody(json), { text: '{"body":"héllo"}' });
    assert.ok('base64' in (encodeWireBody(binary) ?? {}));
    assert.deepEqual(decodeWireBody(encodeWireBody(json)), json);
    assert.deepEqual(decodeWireBody(encodeWireBody(binary)), binary);
    assert.equal(encodeWireBody(new Uint8Array(0)), null);
  });

  test('a body larger than one chunk is announced by its length; the request gets it as a stream', async () => {
    const big = new Uint8Array(MAX_CHUNK_BYTES + 1);
    const wire = encodeWireBody(big);
    assert.deepEqual(wire, { streamed: MAX_CHUNK_BYTES + 1 });
    const stream = (async function* () {
      yield big;
    })();
    const url = 'https://p2p-matrix.invalid/_matrix/media/v3/upload';
    const req = toHsRequest(
      { method: 'POST', url, headers: {}, body: wire },
      new Promise(() => {}),
      undefined,
      stream,
    );
    assert.equal(req.body, undefined);
    assert.equal(req.bodyStream, stream);
    assert.equal(req.headers['content-length'], String(MAX_CHUNK_BYTES + 1));
  });

  test('a body chunk that starts with U+FEFF keeps it', () => {
    const bom = new TextEncoder().encode('\uFEFFrest');
    assert.deepEqual(encodeWireBytes(bom), { text: '\uFEFFrest' });
    assert.deepEqual(decodeWireBytes(encodeWireBytes(bom)), bom);
  });
});

describe('toHsRequest', () => {
  test('keeps the path percent-encoded, decodes the query and lower-cases header names', async () => {
    const closed = Promise.resolve();
    const req = toHsRequest(
      {
        method: 'put',
        url: 'https://p2p-matrix.invalid/_matrix/client/v3/rooms/!a%3Ab%2Fc/send/m.room.message/t1?a=1&b=x%20y&a=2',
        headers: { Authorization: 'Bearer t', 'Content-Type': 'application/json' },
        body: { text: '{}' },
      },
      closed,
    );
    assert.equal(req.method, 'PUT');
    assert.equal(req.path, '/_matrix/client/v3/rooms/!a%3Ab%2Fc/send/m.room.message/t1');
    assert.deepEqual(req.query, { a: ['1', '2'], b: 'x y' });
    assert.deepEqual(req.headers, { authorization: 'Bearer t', 'content-type': 'application/json' });
    assert.equal(new TextDecoder().decode(req.body), '{}');
    assert.equal(req.closed, closed);
  });
});

describe('fromHsResponse', () => {
  test('serialises JSON bodies once, as their text, and passes bytes through', () => {
    const json = fromHsResponse({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: { a: 'é' },
    });
    assert.equal(json.status, 200);
    assert.deepEqual(json.headers, { 'content-type': 'application/json' });
    assert.equal(json.body, '{"a":"é"}');
    const bytes = new Uint8Array([0xff, 0]);
    assert.equal(fromHsResponse({ status: 200, headers: {}, body: bytes }).body, bytes);
    assert.equal(fromHsResponse({ status: 204, headers: {}, body: new Uint8Array(0) }).body, null);
    assert.equal(fromHsResponse({ status: 200, headers: {}, body: undefined }).body, null);
  });

  test("leaves out core's CORS headers, which a page never sees on a response, and no other header", () => {
    const out = fromHsResponse(jsonResponse(429, {}, { 'retry-after': '2' }));
    assert.deepEqual(out.headers, { 'content-type': 'application/json', 'retry-after': '2' });
    const exposed = { 'access-control-expose-headers': 'x-thing', 'x-thing': '1' };
    assert.deepEqual(fromHsResponse({ status: 200, headers: exposed, body: {} }).headers, exposed);
  });

  test('passes a streamed body (media) through as its chunks, with its Content-Length', async () => {
    async function* chunks() {
      yield new Uint8Array([1, 2]);
    }
    const body = new StreamedBody(2, chunks());
    const out = fromHsResponse({ status: 200, headers: { 'content-type': 'image/png' }, body });
    assert.deepEqual(out.headers, { 'content-type': 'image/png', 'content-length': '2' });
    assert.equal(out.body, body.chunks);
  });
});
