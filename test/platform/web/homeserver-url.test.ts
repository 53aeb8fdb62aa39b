// Which URLs the extension answers: its origin however the URL is written, no other.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HOMESERVER_ORIGIN, isHomeserverUrl } from '../../../src/platform/web/homeserver-url.ts';

test('the homeserver origin, absolute or relative to a page of it, in any spelling the URL parser reads as it', () => {
  for (const url of [
    `${HOMESERVER_ORIGIN}/_matrix/client/versions`,
    `${HOMESERVER_ORIGIN}`,
    'HTTPS://P2P-MATRIX.INVALID/_matrix/client/versions',
    'https://p2p-matrix.invalid:443/x',
    ' https://p2p-matrix.invalid/x',
  ])
    assert.equal(isHomeserverUrl(url), true, url);
  assert.equal(isHomeserverUrl('/_matrix/client/versions', `${HOMESERVER_ORIGIN}/app/`), true);
});

test('no other origin, however close', () => {
  for (const url of [
    'https://p2p-matrix.invalid.example.com/x',
    'https://p2p-matrix.invalid@example.com/x',
    'http://p2p-matrix.invalid/x',
    'https://p2p-matrix.invalid:8443/x',
    'https://example.com/https://p2p-matrix.invalid/x',
    'not a url',
  ])
    assert.equal(isHomeserverUrl(url), false, url);
  assert.equal(isHomeserverUrl('/_matrix/client/versions', 'https://client.example/app/'), false);
});
