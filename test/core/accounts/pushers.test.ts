import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Credentials, homeserverWithAliceAndBob, type TestHomeserver } from '../../support/hs-client.ts';

const V3 = '/_matrix/client/v3';

describe('pushers', () => {
  let t: TestHomeserver;
  let alice: Credentials;
  let bob: Credentials;
  before(async () => {
    ({ t, alice, bob } = await homeserverWithAliceAndBob());
  });
  after(() => t.close());

  const pusher = {
    pushkey: 'key1',
    kind: 'http',
    app_id: 'im.example.app',
    app_display_name: 'Example',
    device_display_name: 'Phone',
    lang: 'en',
    data: { url: 'https://push.example/_matrix/push/v1/notify', format: 'event_id_only' },
  };
  const list = async (token: string) =>
    (await t.request('GET', `${V3}/pushers`, undefined, token)).body.pushers;

  test('set, list and delete (kind null)', async () => {
    assert.deepEqual(await list(alice.accessToken), []);
    assert.equal((await t.request('POST', `${V3}/pushers/set`, pusher, alice.accessToken)).status, 200);
    assert.deepEqual(await list(alice.accessToken), [pusher]);
    const remove = { pushkey: 'key1', app_id: 'im.example.app', kind: null };
    assert.equal((await t.request('POST', `${V3}/pushers/set`, remove, alice.accessToken)).status, 200);
    assert.deepEqual(await list(alice.accessToken), []);
  });

  test('the same app and pushkey moves to the user who set it last, unless append', async () => {
    await t.request('POST', `${V3}/pushers/set`, pusher, alice.accessToken);
    await t.request('POST', `${V3}/pushers/set`, pusher, bob.accessToken);
    assert.deepEqual(await list(alice.accessToken), []);
    await t.request('POST', `${V3}/pushers/set`, { ...pusher, append: true }, alice.accessToken);
    assert.equal((await list(alice.accessToken)).length, 1);
    assert.equal((await list(bob.accessToken)).length, 1);
  });

  test('missing and malformed fields', async () => {
    const cases: [object, string][] = [
      [{ ...pusher, pushkey: undefined }, 'M_MISSING_PARAM'],
      [{ ...pusher, kind: undefined }, 'M_MISSING_PARAM'],
      [{ ...pusher, data: { format: 'event_id_only' } }, 'M_MISSING_PARAM'],
      [{ ...pusher, data: 'x' }, 'M_BAD_JSON'],
      [{ ...pusher, lang: 5 }, 'M_BAD_JSON'],
      [{ ...pusher, app_id: 'x'.repeat(65) }, 'M_INVALID_PARAM'],
    ];
    for (const [body, errcode] of cases) {
      const res = await t.request('POST', `${V3}/pushers/set`, body, alice.accessToken);
      assert.deepEqual([res.status, res.body.errcode], [400, errcode], JSON.stringify(body));
    }
  });
});
