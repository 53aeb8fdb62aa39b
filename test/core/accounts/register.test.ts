import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestHomeserver, type TestHomeserver } from '../../support/hs-client.ts';

const REGISTER = '/_matrix/client/v3/register';

describe('registration, open', () => {
  let t: TestHomeserver;
  before(async () => {
    t = await createTestHomeserver();
  });
  after(() => t.close());

  test('the first call is 401 with the dummy flow and a session; the dummy stage registers', async () => {
    const first = await t.request('POST', REGISTER, { username: 'alice', password: 'pw' });
    assert.equal(first.status, 401);
    assert.deepEqual(first.body.flows, [{ stages: ['m.login.dummy'] }]);
    assert.deepEqual(first.body.params, {});
    assert.equal(typeof first.body.session, 'string');
    assert.equal(first.body.errcode, undefined);
    const done = await t.request('POST', REGISTER, {
      username: 'alice',
      password: 'pw',
      initial_device_display_name: 'Laptop',
      auth: { type: 'm.login.dummy', session: first.body.session },
    });
    assert.equal(done.status, 200);
    assert.equal(done.body.user_id, `@alice:${t.serverName}`);
    const whoami = await t.request(
      'GET',
      '/_matrix/client/v3/account/whoami',
      undefined,
      done.body.access_token,
    );
    assert.deepEqual(whoami.body, {
      user_id: done.body.user_id,
      device_id: done.body.device_id,
      is_guest: false,
    });
    const devices = await t.request('GET', '/_matrix/client/v3/devices', undefined, done.body.access_token);
    assert.equal(devices.body.devices[0].display_name, 'Laptop');
  });

  test('a completed session cannot be replayed', async () => {
    const first = await t.request('POST', REGISTER, { username: 'replay', password: 'pw' });
    const auth = { type: 'm.login.dummy', session: first.body.session };
    assert.equal(
      (await t.request('POST', REGISTER, { username: 'replay', password: 'pw', auth })).status,
      200,
    );
    const again = await t.request('POST', REGISTER, { username: 'replay2', password: 'pw', auth });
    assert.equal(again.status, 400);
  });

  test('a taken username is 400 M_USER_IN_USE on the first call', async () => {
    await t.register('bob');
    const res = await t.request('POST', REGISTER, { username: 'bob', password: 'pw' });
    assert.equal(res.status, 400);
    assert.equal(res.body.errcode, 'M_USER_IN_USE');
    const upper = await t.request('POST', REGISTER, { username: 'BOB', password: 'pw' });
    assert.equal(upper.body.errcode, 'M_USER_IN_USE', 'usernames are lower-cased');
  });

  test('usernames outside the localpart grammar or too long are 400 M_INVALID_USERNAME', async () => {
    for (const username of ['al ice', 'alice:x', 'ü', 'a'.repeat(200)]) {
      const res = await t.request('POST', REGISTER, { username, password: 'pw' });
      assert.equal(res.status, 400, username);
      assert.equal(res.body.errcode, 'M_INVALID_USERNAME', username);
    }
  });

  test('wrong types are 400 M_BAD_JSON; a malformed body 400 M_NOT_JSON', async () => {
    for (const body of [{ username: 5 }, { password: true }, { inhibit_login: 'yes' }, { auth: 'dummy' }]) {
      const res = await t.request('POST', REGISTER, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.errcode, 'M_BAD_JSON', JSON.stringify(body));
    }
    const res = await t.request('POST', REGISTER, '{"username":');
    assert.equal(res.body.errcode, 'M_NOT_JSON');
  });

  test('without a username the server picks one; inhibit_login returns no token', async () => {
    const first = await t.request('POST', REGISTER, { password: 'pw', inhibit_login: true });
    const res = await t.request('POST', REGISTER, {
      password: 'pw',
      inhibit_login: true,
      auth: { type: 'm.login.dummy', session: first.body.session },
    });
    assert.equal(res.status, 200);
    assert.match(res.body.user_id, new RegExp(`^@[a-z0-9._=/+-]+:${t.serverName}$`));
    assert.equal(res.body.access_token, undefined);
    assert.equal(res.body.device_id, undefined);
  });

  test('a stage that is not offered is refused, an unknown session is 400', async () => {
    const token = await t.request('POST', REGISTER, {
      username: 'carol',
      auth: { type: 'm.login.registration_token', token: 'x' },
    });
    assert.equal(token.status, 400);
    assert.equal(token.body.errcode, 'M_UNRECOGNIZED');
    const session = await t.request('POST', REGISTER, {
      username: 'carol',
      auth: { type: 'm.login.dummy', session: 'nope' },
    });
    assert.equal(session.status, 400);
  });

  test('guests are refused', async () => {
    const res = await t.request('POST', `${REGISTER}?kind=guest`, {});
    assert.equal(res.status, 403);
    assert.equal(res.body.errcode, 'M_GUEST_ACCESS_FORBIDDEN');
  });

  test('/register/available', async () => {
    const free = await t.request('GET', `${REGISTER}/available?username=dave`);
    assert.deepEqual([free.status, free.body], [200, { available: true }]);
    const taken = await t.request('GET', `${REGISTER}/available?username=alice`);
    assert.deepEqual([taken.status, taken.body.errcode], [400, 'M_USER_IN_USE']);
    const invalid = await t.request('GET', `${REGISTER}/available?username=${encodeURIComponent('a b')}`);
    assert.equal(invalid.body.errcode, 'M_INVALID_USERNAME');
    const missing = await t.request('GET', `${REGISTER}/available`);
    assert.equal(missing.body.errcode, 'M_MISSING_PARAM');
  });
});

describe('registration with a token', () => {
  let t: TestHomeserver;
  before(async () => {
    t = await createTestHomeserver({ config: { registration: { token: 's3cret' } } });
  });
  after(() => t.close());

  test('offers m.login.registration_token; a wrong token is 401 M_FORBIDDEN with the flows', async () => {
    const first = await t.request('POST', REGISTER, { username: 'erin', password: 'pw' });
    assert.deepEqual(first.body.flows, [{ stages: ['m.login.registration_token'] }]);
    const auth = { type: 'm.login.registration_token', session: first.body.session };
    const wrong = await t.request('POST', REGISTER, {
      username: 'erin',
      password: 'pw',
      auth: { ...auth, token: 'guess' },
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.errcode, 'M_FORBIDDEN');
    assert.equal(wrong.body.session, first.body.session);
    assert.deepEqual(wrong.body.flows, first.body.flows);
    const dummy = await t.request('POST', REGISTER, {
      username: 'erin',
      auth: { type: 'm.login.dummy', session: first.body.session },
    });
    assert.equal(dummy.body.errcode, 'M_UNRECOGNIZED');
    const right = await t.request('POST', REGISTER, {
      username: 'erin',
      password: 'pw',
      auth: { ...auth, token: 's3cret' },
    });
    assert.equal(right.status, 200);
  });

  test('the validity endpoint checks a token', async () => {
    const path = '/_matrix/client/v1/register/m.login.registration_token/validity';
    assert.deepEqual((await t.request('GET', `${path}?token=s3cret`)).body, { valid: true });
    assert.deepEqual((await t.request('GET', `${path}?token=other`)).body, { valid: false });
  });
});

describe('registration, closed', () => {
  test('is 403 M_FORBIDDEN', async () => {
    const t = await createTestHomeserver({ config: { registration: 'closed' } });
    const res = await t.request('POST', REGISTER, { username: 'frank', password: 'pw' });
    assert.deepEqual([res.status, res.body.errcode], [403, 'M_FORBIDDEN']);
    const validity = await t.request(
      'GET',
      '/_matrix/client/v1/register/m.login.registration_token/validity?token=x',
    );
    assert.equal(validity.status, 403);
    await t.close();
  });
});

describe('registration, per client (the extension: the popup and the sites the user allowed)', () => {
  test('a client mayRegister refuses gets 403 M_FORBIDDEN at every step; one it allows registers', async () => {
    const allowed = new Set(['popup', 'origin:https://allowed.example']);
    const t = await createTestHomeserver({
      config: {
        registration: 'open',
        mayRegister: async (client) => client !== undefined && allowed.has(client),
      },
    });
    const call = async (client: string, path: string, method: string, body?: unknown) => {
      const res = await t.hs.handle({
        method,
        path,
        query: path.endsWith('available') ? { username: 'mallory' } : {},
        headers: { 'content-type': 'application/json' },
        client,
        ...(body !== undefined && { body: new TextEncoder().encode(JSON.stringify(body)) }),
      });
      return { status: res.status, body: res.body as Record<string, unknown> };
    };
    const site = 'origin:https://other.example';
    const refused = await call(site, REGISTER, 'POST', { username: 'mallory', password: 'pw' });
    assert.deepEqual([refused.status, refused.body.errcode], [403, 'M_FORBIDDEN']);
    const available = await call(site, `${REGISTER}/available`, 'GET');
    assert.deepEqual([available.status, available.body.errcode], [403, 'M_FORBIDDEN']);
    // An allowed client goes through the usual flow.
    const first = await call('origin:https://allowed.example', REGISTER, 'POST', {
      username: 'amy',
      password: 'pw',
    });
    assert.equal(first.status, 401);
    const done = await call('origin:https://allowed.example', REGISTER, 'POST', {
      username: 'amy',
      password: 'pw',
      auth: { type: 'm.login.dummy', session: first.body.session },
    });
    assert.equal(done.status, 200);
    // A UIA session begun by an allowed client cannot be finished by a refused one.
    const again = await call('popup', REGISTER, 'POST', { username: 'ben', password: 'pw' });
    const stolen = await call(site, REGISTER, 'POST', {
      username: 'ben',
      password: 'pw',
      auth: { type: 'm.login.dummy', session: again.body.session },
    });
    assert.deepEqual([stolen.status, stolen.body.errcode], [403, 'M_FORBIDDEN']);
    // The account made through the allowed client works.
    const login = await t.request('POST', '/_matrix/client/v3/login', {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'amy' },
      password: 'pw',
    });
    assert.equal(login.status, 200);
    await t.close();
  });
});
