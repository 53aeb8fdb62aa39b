import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MatrixError } from '../../../src/core/errors.ts';
import {
  isValidLocalpart,
  isValidRoomAlias,
  isValidRoomId,
  isValidUserId,
  requireUserId,
} from '../../../src/core/http/matrix-ids.ts';

const HEX = 'a'.repeat(64);

describe('identifier grammar', () => {
  test('user ids: sigil, localpart, server name; historical localparts accepted', () => {
    assert.ok(isValidUserId(`@alice:${HEX}`));
    assert.ok(isValidUserId('@Old.Style!User:example.org:8448'));
    assert.ok(isValidUserId('@a:[::1]:8008'));
    for (const bad of [
      'alice',
      '@alice',
      '@:hs',
      '!room:hs',
      '@al ice:hs',
      '@alice:bad_host',
      `@${'a'.repeat(250)}:hs.x`,
    ]) {
      assert.ok(!isValidUserId(bad), bad);
    }
  });

  test('new localparts use the strict grammar (a-z 0-9 . _ = - / +)', () => {
    assert.ok(isValidLocalpart('alice.b_c=d-e/f+g9'));
    for (const bad of ['Alice', 'al ice', 'ali:ce', '', 'é']) assert.ok(!isValidLocalpart(bad), bad);
  });

  test('room ids and aliases', () => {
    assert.ok(isValidRoomId(`!opaque:${HEX}`));
    assert.ok(!isValidRoomId('!:hs'));
    assert.ok(!isValidRoomId('#alias:hs'));
    assert.ok(!isValidRoomId('!noserver'));
    assert.ok(isValidRoomAlias('#garden:hs'));
    assert.ok(!isValidRoomAlias('#:hs'));
    assert.ok(!isValidRoomAlias('garden:hs'));
  });

  test('requireUserId throws 400 M_INVALID_PARAM', () => {
    assert.throws(
      () => requireUserId('nope'),
      (err: unknown) => err instanceof MatrixError && err.errcode === 'M_INVALID_PARAM',
    );
  });
});
