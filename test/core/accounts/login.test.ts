import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestHomeserver, TEST_PASSWORD, type TestHomeserver } from '../../support/hs-client.ts';

const LOGIN = '/_matrix/client/v3/login';
const WHOAMI = '/_matrix/client/v3/account/whoami';

describe('login and logout', () => {
  let t: TestHomeserver;
  let userId: string;
  before(async () => {
    t = await createTestHomeserver();
    ({ userId } = await t.register('alice'));
  });
  after(() => t.close());

  const login = (body: object) => t.request('POST', LOGIN, body);
  const password = { type: 'm.login.password', password: TEST_PASSWORD };

  test('GET /login offers m.login.password and m.login.token', async () => {
    const res = await t.request('GET', LOGIN);
    assert.deepEqual(res.body, {
      flows: [{ type: 'm.login.password' }, { type: 'm.login.token', get_login_token: true }],
    });
  });

  test('logs in by localpart, full user id or the legacy user field', async () => {
    for (const who of [
      { identifier: { type: 'm.id.user', user: 'alice' } },
      { identifier: { type: 'm.id.user', user: userId } },
      { identifier: { type: 'm.id.user', user: 'ALICE' } },
      { user: 'alice' },
    ]) {
      const res = await login({ ...password, ...who });
      assert.equal(res.status, 200, JSON.stringify(who));
      assert.equal(res.body.user_id, userId);
      assert.equal(typeof res.body.access_token, 'string');
      assert.equal(typeof res.body.device_id, 'string');
      assert.deepEqual(res.body.well_known, { 'm.homeserver': { base_url: 'http://localhost:8008' } });
    }
  });

  test('a wrong password or unknown user is 403 M_FORBIDDEN', async () => {
    for (const body of [
      { ...password, password: 'wrong', identifier: { type: 'm.id.user', user: 'alice' } },
      { ...password, identifier: { type: 'm.id.user', user: 'nobody' } },
      { ...password, identifier: { type: 'm.id.user', user: '@alice:other.example' } },
      { ...password, identifier: { type: 'm.id.thirdparty', medium: 'email', address: 'a@b.c' } },
    ]) {
      const res = await login(body);
      assert.deepEqual([res.status, res.body.errcode], [403, 'M_FORBIDDEN'], JSON.stringify(body));
    }
  });

  test('bad input is a 400 with the spec errcode', async () => {
    const cases: [object, string][] = [
      [{ identifier: { type: 'm.id.user', user: 'alice' } }, 'M_MISSING_PARAM'],
      [
        { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'alice' }, password: 7 },
        'M_BAD_JSON',
      ],
      [{ ...password, identifier: 'alice' }, 'M_BAD_JSON'],
      [{ ...password, identifier: { type: 'm.id.user', user: 'alice' }, device_id: 5 }, 'M_BAD_JSON'],
      [{ ...password, identifier: { type: 'm.id.user' } }, 'M_BAD_JSON'],
      [{ ...password, identifier: { type: 'com.example.id', user: 'alice' } }, 'M_UNKNOWN'],
      [{ type: 'm.login.sso', token: 'x' }, 'M_UNKNOWN'],
    ];
    for (const [body, errcode] of cases) {
      const res = await login(body);
      assert.deepEqual([res.status, res.body.errcode], [400, errcode], JSON.stringify(body));
    }
  });

  test('logging in with a known device id revokes that device’s old token', async () => {
    const body = { ...password, identifier: { type: 'm.id.user', user: 'alice' }, device_id: 'PHONE' };
    const first = await login(body);
    const second = await login(body);
    assert.equal(second.body.device_id, 'PHONE');
    const old = await t.request('GET', WHOAMI, undefined, first.body.access_token);
    assert.deepEqual(old.body, {
      errcode: 'M_UNKNOWN_TOKEN',
      error: 'Unknown access token',
      soft_logout: false,
    });
    assert.equal(
      (await t.request('GET', WHOAMI, undefined, second.body.access_token)).body.device_id,
      'PHONE',
    );
  });

  test('logout ends the session and deletes the device', async () => {
    const session = (await login({ ...password, user: 'alice' })).body;
    assert.deepEqual(
      (await t.request('POST', '/_matrix/client/v3/logout', undefined, session.access_token)).body,
      {},
    );
    const after = await t.request('GET', WHOAMI, undefined, session.access_token);
    assert.deepEqual(
      [after.status, after.body.errcode, after.body.soft_logout],
      [401, 'M_UNKNOWN_TOKEN', false],
    );
    const other = (await login({ ...password, user: 'alice' })).body;
    const devices = await t.request('GET', '/_matrix/client/v3/devices', undefined, other.access_token);
    assert.ok(!devices.body.devices.some((d: { device_id: string }) => d.device_id === session.device_id));
  });

  test('logout/all ends every session of the user', async () => {
    const a = (await login({ ...password, user: 'alice' })).body;
    const b = (await login({ ...password, user: 'alice' })).body;
    assert.equal((await t.request('POST', '/_matrix/client/v3/logout/all', {}, a.access_token)).status, 200);
    for (const s of [a, b])
      assert.equal((await t.request('GET', WHOAMI, undefined, s.access_token)).status, 401);
  });

  test('whoami needs a token', async () => {
    const res = await t.request('GET', WHOAMI);
    assert.deepEqual([res.status, res.body.errcode], [401, 'M_MISSING_TOKEN']);
  });
});
