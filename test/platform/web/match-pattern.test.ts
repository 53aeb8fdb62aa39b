import assert from 'node:assert/strict';
import { test } from 'node:test';
import { originMatchPattern as firefoxPattern } from '../../../src/platform/web/match-pattern.firefox.ts';
import { originMatchPattern as chromePattern } from '../../../src/platform/web/match-pattern.ts';

test('Chrome: the pattern covers exactly the origin, port included', () => {
  assert.equal(chromePattern('http://127.0.0.1:8080'), 'http://127.0.0.1:8080/*');
  assert.equal(chromePattern('https://app.example'), 'https://app.example/*');
});

test('Firefox: patterns have no port, so the pattern names the scheme and host', () => {
  assert.equal(firefoxPattern('http://127.0.0.1:8080'), 'http://127.0.0.1/*');
  assert.equal(firefoxPattern('https://app.example'), 'https://app.example/*');
  assert.equal(firefoxPattern('http://[::1]:3000'), 'http://[::1]/*');
});
