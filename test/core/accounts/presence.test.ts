import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { presenceSince } from '../../../src/core/accounts/api.ts';
import { accountTableNames } from '../../../src/core/accounts/tables.ts';
import type { Clock } from '../../../src/core/ports.ts';
import { currentStreamPosition, STREAM_TABLE } from '../../../src/core/storage/stream.ts';
import { type Credentials, homeserverWithAliceAndBob, type TestHomeserver } from '../../support/hs-client.ts';

describe('presence', () => {
  let t: TestHomeserver;
  let alice: Credentials;
  let bob: Credentials;
  let now = 1_000_000;
  const clock: Clock = { now: () => now, sleep: async () => {} };
  const path = (userId: string) => `/_matrix/client/v3/presence/${encodeURIComponent(userId)}/status`;
  before(async () => {
    ({ t, alice, bob } = await homeserverWithAliceAndBob({ clock }));
  });
  after(() => t.close());

  test('a user who never set presence is offline', async () => {
    const res = await t.request('GET', path(bob.userId), undefined, alice.accessToken);
    assert.deepEqual(res.body, { presence: 'offline' });
  });

  test('the user sets presence and a status message; others see how long ago', async () => {
    const put = await t.request(
      'PUT',
      path(alice.userId),
      { presence: 'online', status_msg: 'gardening' },
      alice.accessToken,
    );
    assert.equal(put.status, 200);
    now += 5_000;
    const res = await t.request('GET', path(alice.userId), undefined, bob.accessToken);
    assert.deepEqual(res.body, {
      presence: 'online',
      last_active_ago: 5_000,
      status_msg: 'gardening',
      currently_active: true,
    });
    await t.request(
      'PUT',
      path(alice.userId),
      { presence: 'unavailable', status_msg: null },
      alice.accessToken,
    );
    const cleared = await t.request('GET', path(alice.userId), undefined, bob.accessToken);
    assert.equal(cleared.body.status_msg, undefined);
    assert.equal(cleared.body.presence, 'unavailable');
  });

  test('bad input, other users and unknown users', async () => {
    const cases: [string, unknown, string, number][] = [
      [alice.accessToken, { presence: 'busy' }, 'M_INVALID_PARAM', 400],
      [alice.accessToken, {}, 'M_MISSING_PARAM', 400],
      [alice.accessToken, { presence: 'online', status_msg: 3 }, 'M_BAD_JSON', 400],
      [bob.accessToken, { presence: 'online' }, 'M_FORBIDDEN', 403],
    ];
    for (const [token, body, errcode, status] of cases) {
      const res = await t.request('PUT', path(alice.userId), body, token);
      assert.deepEqual([res.status, res.body.errcode], [status, errcode], JSON.stringify(body));
    }
    const unknown = await t.request('GET', path(`@nobody:${t.serverName}`), undefined, alice.accessToken);
    assert.deepEqual([unknown.status, unknown.body.errcode], [404, 'M_NOT_FOUND']);
    const malformed = await t.request('GET', path('nobody'), undefined, alice.accessToken);
    assert.equal(malformed.body.errcode, 'M_INVALID_PARAM');
  });

  test('presenceSince returns m.presence events with the profile, for changes after a position', async () => {
    const before = await t.store.read([STREAM_TABLE], (tx) => currentStreamPosition(tx));
    await t.request('PUT', path(bob.userId), { presence: 'online' }, bob.accessToken);
    const events = await t.store.read(accountTableNames, (tx) => presenceSince(tx, before, now));
    assert.deepEqual(events, [
      {
        type: 'm.presence',
        sender: bob.userId,
        content: { presence: 'online', last_active_ago: 0, currently_active: true, displayname: 'bob' },
      },
    ]);
  });

  test('a profile change is announced through presence', async () => {
    const before = await t.store.read([STREAM_TABLE], (tx) => currentStreamPosition(tx));
    const name = `/_matrix/client/v3/profile/${encodeURIComponent(bob.userId)}/displayname`;
    await t.request('PUT', name, { displayname: 'Bob B.' }, bob.accessToken);
    const events = await t.store.read(accountTableNames, (tx) => presenceSince(tx, before, now));
    assert.equal(events[0]?.content.displayname, 'Bob B.');
  });
});
