import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  eventIdProblem,
  isServerName,
  serverNameOf,
  sigilIdProblem,
} from '../../../src/core/protocol/identifiers.ts';

describe('identifiers', () => {
  test('server names follow the spec grammar, hex P2P names included', () => {
    for (const name of [
      'matrix.org',
      'matrix.org:8888',
      '1.2.3.4',
      '1.2.3.4:1234',
      '[1234:5678::abcd]',
      '[1234:5678::abcd]:5678',
      'a'.repeat(64),
    ]) {
      assert.equal(isServerName(name), true, name);
    }
    for (const name of ['', 'bad/name', 'host:', 'host:123456', 'ex ample.org', '[::1', 'é.org']) {
      assert.equal(isServerName(name), false, name);
    }
  });

  test('serverNameOf takes everything after the first colon', () => {
    assert.equal(serverNameOf('@a:example.org:8448'), 'example.org:8448');
    assert.equal(serverNameOf('@nocolon'), undefined);
  });

  test('sigilIdProblem accepts historical localparts but not NUL or an empty server', () => {
    assert.equal(sigilIdProblem('@Ünïcode Name:example.org', '@'), undefined);
    assert.equal(sigilIdProblem('@:example.org', '@'), undefined);
    assert.equal(sigilIdProblem('@a\u0000:example.org', '@'), 'contains NUL');
    assert.equal(sigilIdProblem('@a:', '@'), 'has an invalid server name ""');
    assert.equal(sigilIdProblem('#alias:x', '!'), 'does not start with !');
  });

  test('eventIdProblem knows the three formats', () => {
    assert.equal(eventIdProblem('$abc:example.org', 'v1'), undefined);
    assert.equal(eventIdProblem('$abc', 'v1'), 'has no :server part');
    assert.equal(eventIdProblem('$RrGxF28UrHLmoASHndYb9Jb/1SFww2ptmtur9INS438', 'v3'), undefined);
    assert.equal(eventIdProblem('$RrGxF28UrHLmoASHndYb9Jb_1SFww2ptmtur9INS438', 'v4'), undefined);
    assert.match(eventIdProblem('$RrGxF28UrHLmoASHndYb9Jb_1SFww2ptmtur9INS438', 'v3') ?? '', /standard/);
    assert.match(eventIdProblem('$short', 'v4') ?? '', /url-safe/);
    assert.equal(eventIdProblem(`$${'a'.repeat(300)}:x`, 'v1'), 'is longer than 255 bytes');
  });
});
