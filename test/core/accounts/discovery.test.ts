import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Credentials, createTestHomeserver, type TestHomeserver } from '../../support/hs-client.ts';

describe('discovery', () => {
  let t: TestHomeserver;
  let alice: Credentials;
  before(async () => {
    t = await createTestHomeserver();
    alice = await t.register('alice');
  });
  after(() => t.close());

  test('.well-known names the base URL the client used', async () => {
    const res = await t.request('GET', '/.well-known/matrix/client');
    assert.deepEqual(res.body, { 'm.homeserver': { base_url: 'http://localhost:8008' } });
    assert.equal(res.headers['access-control-allow-origin'], '*');
  });

  test('/versions lists v1.1 to v1.11, with or without a token', async () => {
    const anonymous = await t.request('GET', '/_matrix/client/versions');
    for (const v of ['v1.1', 'v1.7', 'v1.11']) assert.ok(anonymous.body.versions.includes(v), v);
    assert.deepEqual(anonymous.body.unstable_features, {});
    const authed = await t.request('GET', '/_matrix/client/versions', undefined, alice.accessToken);
    assert.equal(authed.status, 200);
  });

  test('/capabilities', async () => {
    const res = await t.request('GET', '/_matrix/client/v3/capabilities', undefined, alice.accessToken);
    const caps = res.body.capabilities;
    assert.deepEqual(caps['m.room_versions'], {
      default: '12',
      available: { '10': 'stable', '11': 'stable', '12': 'stable' },
    });
    assert.deepEqual(caps['m.change_password'], { enabled: true });
    assert.deepEqual(caps['m.set_displayname'], { enabled: true });
    assert.deepEqual(caps['m.set_avatar_url'], { enabled: true });
    assert.deepEqual(caps['m.3pid_changes'], { enabled: false });
    assert.equal((await t.request('GET', '/_matrix/client/v3/capabilities')).status, 401);
  });

  test('what clients probe for and must not get: key backup is M_NOT_FOUND, OAuth M_UNRECOGNIZED', async () => {
    const backup = await t.request(
      'GET',
      '/_matrix/client/v3/room_keys/version',
      undefined,
      alice.accessToken,
    );
    assert.deepEqual([backup.status, backup.body.errcode], [404, 'M_NOT_FOUND']);
    for (const path of [
      '/_matrix/client/v1/auth_metadata',
      '/_matrix/client/unstable/org.matrix.msc2965/auth_metadata',
    ]) {
      const res = await t.request('GET', path);
      assert.deepEqual([res.status, res.body.errcode], [404, 'M_UNRECOGNIZED'], path);
    }
  });
});
