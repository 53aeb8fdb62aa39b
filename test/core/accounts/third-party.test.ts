import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestHomeserver, type TestHomeserver } from '../../support/hs-client.ts';

const V3 = '/_matrix/client/v3';

describe('third-party identifiers and networks (none held here)', () => {
  let t: TestHomeserver;
  before(async () => {
    t = await createTestHomeserver();
  });
  after(() => t.close());

  test('the account lists no 3PIDs and no protocols, as Element asks in Settings and Explore', async () => {
    const alice = await t.register('alice');
    const threepids = await t.request('GET', `${V3}/account/3pid`, undefined, alice.accessToken);
    assert.deepEqual([threepids.status, threepids.body], [200, { threepids: [] }]);
    const protocols = await t.request('GET', `${V3}/thirdparty/protocols`, undefined, alice.accessToken);
    assert.deepEqual([protocols.status, protocols.body], [200, {}]);
    assert.equal((await t.request('GET', `${V3}/account/3pid`)).status, 401);
  });

  test('adding, binding and removing a 3PID are refused with the spec’s errors', async () => {
    const bob = await t.register('bob');
    const email = { medium: 'email', address: 'bob@example.org' };
    for (const path of ['/account/3pid/add', '/account/3pid/bind', '/account/3pid/email/requestToken']) {
      const res = await t.request(
        'POST',
        `${V3}${path}`,
        { client_secret: 's', sid: '1', ...email },
        bob.accessToken,
      );
      assert.deepEqual([res.status, res.body.errcode], [403, 'M_THREEPID_DENIED'], path);
    }
    for (const path of ['/account/3pid/delete', '/account/3pid/unbind']) {
      const res = await t.request('POST', `${V3}${path}`, email, bob.accessToken);
      assert.deepEqual([res.status, res.body.errcode], [400, 'M_THREEPID_NOT_FOUND'], path);
      const bad = await t.request('POST', `${V3}${path}`, { medium: 'email' }, bob.accessToken);
      assert.equal(bad.status, 400, path);
    }
    const listed = await t.request('GET', `${V3}/account/3pid`, undefined, bob.accessToken);
    assert.deepEqual(listed.body, { threepids: [] });
  });
});

describe('third-party lookups, token requests and support', () => {
  test('lookups answer empty lists, named protocols 404, token requests the 3PID errors, support 404', async () => {
    const t = await createTestHomeserver();
    try {
      const alice = await t.register('alice');
      const V3 = '/_matrix/client/v3';
      for (const path of ['/thirdparty/location?alias=%23x', '/thirdparty/user?userid=x']) {
        const res = await t.request('GET', `${V3}${path}`, undefined, alice.accessToken);
        assert.deepEqual([res.status, res.body], [200, []]);
      }
      for (const path of ['/thirdparty/location/irc', '/thirdparty/user/irc', '/thirdparty/protocol/irc']) {
        const res = await t.request('GET', `${V3}${path}`, undefined, alice.accessToken);
        assert.deepEqual([res.status, res.body.errcode], [404, 'M_NOT_FOUND'], path);
      }
      const email = { client_secret: 's', email: 'a@example.org', send_attempt: 1 };
      const phone = { client_secret: 's', country: 'GB', phone_number: '07700900000', send_attempt: 1 };
      const cases: [string, object, number, string][] = [
        ['/register/email/requestToken', email, 403, 'M_THREEPID_DENIED'],
        ['/register/msisdn/requestToken', phone, 403, 'M_THREEPID_DENIED'],
        ['/account/password/email/requestToken', email, 400, 'M_THREEPID_NOT_FOUND'],
        ['/account/password/msisdn/requestToken', phone, 400, 'M_THREEPID_NOT_FOUND'],
        ['/register/email/requestToken', { client_secret: 's' }, 400, 'M_MISSING_PARAM'],
      ];
      for (const [path, body, status, errcode] of cases) {
        const res = await t.request('POST', `${V3}${path}`, body);
        assert.deepEqual([res.status, res.body.errcode], [status, errcode], path);
      }
      const support = await t.request('GET', '/.well-known/matrix/support');
      assert.deepEqual([support.status, support.body.errcode], [404, 'M_NOT_FOUND']);
      assert.deepEqual(t.errors, []);
    } finally {
      await t.close();
    }
  });
});
