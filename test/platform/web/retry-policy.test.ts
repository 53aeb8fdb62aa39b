import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRetryable } from '../../../src/platform/web/retry-policy.ts';

test('reads are retried after the worker died', () => {
  assert.equal(isRetryable('GET', '/_matrix/client/v3/sync'), true);
  assert.equal(isRetryable('get', '/_matrix/client/v3/rooms/!r:x/messages'), true);
  assert.equal(isRetryable('OPTIONS', '/_matrix/client/v3/createRoom'), true);
});

test('PUTs keyed by a transaction id are retried: the server answers a repeat with the first result', () => {
  assert.equal(isRetryable('PUT', '/_matrix/client/v3/rooms/!r%3Ax/send/m.room.message/m123'), true);
  assert.equal(isRetryable('PUT', '/_matrix/client/r0/rooms/!r:x/redact/$ev/txn9'), true);
  assert.equal(isRetryable('PUT', '/_matrix/client/v3/sendToDevice/m.room_key/txn1'), true);
});

test('anything else fails instead of being applied twice', () => {
  assert.equal(isRetryable('POST', '/_matrix/client/v3/createRoom'), false);
  assert.equal(isRetryable('POST', '/_matrix/client/v3/rooms/!r:x/send/m.room.message'), false);
  assert.equal(isRetryable('PUT', '/_matrix/client/v3/rooms/!r:x/state/m.room.name/'), false);
  assert.equal(isRetryable('DELETE', '/_matrix/client/v3/devices/ABC'), false);
});
