import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidOriginError, matchPatternFor, normalizeOrigin } from '../../../src/platform/web/origins.ts';

describe('normalizeOrigin', () => {
  test('keeps scheme, host and a non-default port', () => {
    assert.equal(normalizeOrigin('http://127.0.0.1:41421'), 'http://127.0.0.1:41421');
    assert.equal(normalizeOrigin('HTTPS://App.Example:443/'), 'https://app.example');
  });

  test('accepts plain http only on loopback', () => {
    for (const input of [
      'http://localhost:8080',
      'http://app.localhost',
      'http://127.0.0.2',
      'http://[::1]:9000',
    ])
      assert.equal(normalizeOrigin(input), input);
  });

  test('refuses anything that is not a bare http(s) origin', () => {
    for (const input of [
      'null',
      'file:///tmp/x',
      'chrome-extension://abc',
      'https://a.example/path',
      'https://u:p@a.example',
      'https://a.example/?q=1',
      // Plain http away from loopback: anyone on the way could take over the homeserver.
      'http://app.example',
      'http://192.168.1.10:8080',
      'http://[fe80::1]',
      'http://127.0.0.1.nip.io',
    ]) {
      assert.throws(() => normalizeOrigin(input), InvalidOriginError, input);
    }
  });
});

test('matchPatternFor covers exactly the pages of one origin, port included', () => {
  assert.equal(matchPatternFor('http://127.0.0.1:8080'), 'http://127.0.0.1:8080/*');
  assert.equal(matchPatternFor('https://app.example'), 'https://app.example/*');
});
