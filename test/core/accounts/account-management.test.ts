import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestHomeserver, TEST_PASSWORD, type TestHomeserver } from '../../support/hs-client.ts';

const PASSWORD = '/_matrix/client/v3/account/password';
const DEACTIVATE = '/_matrix/client/v3/account/deactivate';
const WHOAMI = '/_matrix/client/v3/account/whoami';

describe('password change and deactivation', () => {
  let t: TestHomeserver;
  before(async () => {
    t = await createTestHomeserver();
  });
  after(() => t.close());

  const login = async (user: string, password = TEST_PASSWORD) =>
    t.request('POST', '/_matrix/client/v3/login', { type: 'm.login.password', user, password });
  const passwordAuth = (user: string, session: string, password = TEST_PASSWORD) => ({
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user },
    password,
    session,
  });

  test('changing the password needs the old one (UIA) and logs out the other devices', async () => {
    const main = await t.register('alice');
    const other = (await login('alice')).body;
    const first = await t.request('POST', PASSWORD, { new_password: 'new pw' }, main.accessToken);
    assert.equal(first.status, 401);
    assert.deepEqual(first.body.flows, [{ stages: ['m.login.password'] }]);
    const wrong = await t.request(
      'POST',
      PASSWORD,
      { new_password: 'new pw', auth: passwordAuth('alice', first.body.session, 'wrong') },
      main.accessToken,
    );
    assert.deepEqual(
      [wrong.status, wrong.body.errcode, wrong.body.session],
      [401, 'M_FORBIDDEN', first.body.session],
    );
    const done = await t.request(
      'POST',
      PASSWORD,
      { new_password: 'new pw', auth: passwordAuth('alice', first.body.session) },
      main.accessToken,
    );
    assert.equal(done.status, 200);
    assert.equal((await t.request('GET', WHOAMI, undefined, main.accessToken)).status, 200);
    assert.equal((await t.request('GET', WHOAMI, undefined, other.access_token)).status, 401);
    assert.equal((await login('alice')).status, 403);
    assert.equal((await login('alice', 'new pw')).status, 200);
  });

  test('logout_devices false keeps the other sessions; the stage must name the caller', async () => {
    const main = await t.register('bob');
    await t.register('mallory');
    const other = (await login('bob')).body;
    const first = await t.request(
      'POST',
      PASSWORD,
      { new_password: 'x', logout_devices: false },
      main.accessToken,
    );
    const impostor = await t.request(
      'POST',
      PASSWORD,
      { new_password: 'x', logout_devices: false, auth: passwordAuth('mallory', first.body.session) },
      main.accessToken,
    );
    assert.deepEqual([impostor.status, impostor.body.errcode], [401, 'M_FORBIDDEN']);
    const done = await t.request(
      'POST',
      PASSWORD,
      { new_password: 'x', logout_devices: false, auth: passwordAuth('bob', first.body.session) },
      main.accessToken,
    );
    assert.equal(done.status, 200);
    assert.equal((await t.request('GET', WHOAMI, undefined, other.access_token)).status, 200);
  });

  test('new_password is required and must be a string', async () => {
    const main = await t.register('carol');
    const missing = await t.request('POST', PASSWORD, {}, main.accessToken);
    assert.deepEqual([missing.status, missing.body.errcode], [400, 'M_MISSING_PARAM']);
    const wrong = await t.request('POST', PASSWORD, { new_password: 1 }, main.accessToken);
    assert.deepEqual([wrong.status, wrong.body.errcode], [400, 'M_BAD_JSON']);
  });

  test('deactivation (UIA) ends every session, forbids login and keeps the id taken', async () => {
    const dave = await t.register('dave');
    const first = await t.request('POST', DEACTIVATE, {}, dave.accessToken);
    assert.equal(first.status, 401);
    const done = await t.request(
      'POST',
      DEACTIVATE,
      { auth: passwordAuth('dave', first.body.session) },
      dave.accessToken,
    );
    assert.deepEqual(done.body, { id_server_unbind_result: 'no-support' });
    assert.equal((await t.request('GET', WHOAMI, undefined, dave.accessToken)).status, 401);
    const again = await login('dave');
    assert.deepEqual([again.status, again.body.errcode], [403, 'M_USER_DEACTIVATED']);
    const register = await t.request('POST', '/_matrix/client/v3/register', {
      username: 'dave',
      password: 'pw',
    });
    assert.equal(register.body.errcode, 'M_USER_IN_USE');
  });

  test('deactivation without a token: the password stage names the account', async () => {
    await t.register('erin');
    const first = await t.request('POST', DEACTIVATE, {});
    const done = await t.request('POST', DEACTIVATE, { auth: passwordAuth('erin', first.body.session) });
    assert.equal(done.status, 200);
    assert.equal((await login('erin')).body.errcode, 'M_USER_DEACTIVATED');
  });

  test('a UIA session cannot be reused for another operation', async () => {
    const frank = await t.register('frank');
    const pw = await t.request('POST', PASSWORD, { new_password: 'x' }, frank.accessToken);
    const res = await t.request(
      'POST',
      DEACTIVATE,
      { auth: passwordAuth('frank', pw.body.session) },
      frank.accessToken,
    );
    assert.deepEqual([res.status, res.body.errcode], [403, 'M_FORBIDDEN']);
    assert.equal((await t.request('GET', WHOAMI, undefined, frank.accessToken)).status, 200);
  });
});
