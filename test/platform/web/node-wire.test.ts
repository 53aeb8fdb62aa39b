import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeFederationRequest,
  decodeFederationResponse,
  encodeFederationRequest,
  encodeFederationResponse,
} from '../../../src/platform/web/node-wire.ts';

const throughJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

test('a federation request with a JSON body survives a JSON-only port unchanged', () => {
  const req = {
    method: 'PUT',
    path: '/_matrix/federation/v1/send/1',
    origin: 'ab'.repeat(32),
    query: { limit: '10', v: ['1', '2'] },
    body: { pdus: [{ type: 'm.room.message', content: { body: 'hi' } }], edus: [] },
  };
  assert.deepEqual(decodeFederationRequest(throughJson(encodeFederationRequest(req))), req);
});

test('bytes cross as base64 and come back as the same bytes', () => {
  const body = new Uint8Array([0, 1, 2, 250, 255]);
  const res = decodeFederationResponse(throughJson(encodeFederationResponse({ status: 200, body })));
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, body);
  const req = decodeFederationRequest(
    throughJson(encodeFederationRequest({ method: 'POST', path: '/media', origin: 'x', body })),
  );
  assert.deepEqual(req.body, body);
});

test('a request without body or query stays without them', () => {
  const req = { method: 'GET', path: '/_matrix/federation/v1/version', origin: 'cd'.repeat(32) };
  assert.deepEqual(decodeFederationRequest(throughJson(encodeFederationRequest(req))), req);
});
