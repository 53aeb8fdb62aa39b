import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type Credentials,
  createTestHomeserver,
  TEST_PASSWORD,
  type TestHomeserver,
} from '../../support/hs-client.ts';

const V3 = '/_matrix/client/v3';

describe('devices', () => {
  let t: TestHomeserver;
  let alice: Credentials;
  before(async () => {
    t = await createTestHomeserver();
    alice = await t.register('alice');
  });
  after(() => t.close());

  const login = async (deviceId: string) =>
    (
      await t.request('POST', `${V3}/login`, {
        type: 'm.login.password',
        user: 'alice',
        password: TEST_PASSWORD,
        device_id: deviceId,
      })
    ).body;
  const auth = (session: string) => ({
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: alice.userId },
    password: TEST_PASSWORD,
    session,
  });

  test('lists, reads and renames the user’s devices', async () => {
    await login('TABLET');
    const list = await t.request('GET', `${V3}/devices`, undefined, alice.accessToken);
    const ids = list.body.devices.map((d: { device_id: string }) => d.device_id).sort();
    assert.deepEqual(ids, [alice.deviceId, 'TABLET'].sort());
    const put = await t.request('PUT', `${V3}/devices/TABLET`, { display_name: 'Tablet' }, alice.accessToken);
    assert.equal(put.status, 200);
    const one = await t.request('GET', `${V3}/devices/TABLET`, undefined, alice.accessToken);
    assert.equal(one.body.device_id, 'TABLET');
    assert.equal(one.body.display_name, 'Tablet');
    assert.equal(typeof one.body.last_seen_ts, 'number');
  });

  test('unknown devices, and other users’ devices, are 404 M_NOT_FOUND', async () => {
    const bob = await t.register('bob');
    for (const [method, path, token] of [
      ['GET', `${V3}/devices/NOPE`, alice.accessToken],
      ['PUT', `${V3}/devices/NOPE`, alice.accessToken],
      ['GET', `${V3}/devices/${alice.deviceId}`, bob.accessToken],
    ] as const) {
      const res = await t.request(method, path, method === 'PUT' ? { display_name: 'x' } : undefined, token);
      assert.deepEqual([res.status, res.body.errcode], [404, 'M_NOT_FOUND'], `${method} ${path}`);
    }
    const bad = await t.request(
      'PUT',
      `${V3}/devices/${alice.deviceId}`,
      { display_name: 3 },
      alice.accessToken,
    );
    assert.equal(bad.body.errcode, 'M_BAD_JSON');
  });

  test('deleting a device needs UIA and ends its sessions', async () => {
    const phone = await login('PHONE');
    const first = await t.request('DELETE', `${V3}/devices/PHONE`, undefined, alice.accessToken);
    assert.equal(first.status, 401);
    assert.deepEqual(first.body.flows, [{ stages: ['m.login.password'] }]);
    const done = await t.request(
      'DELETE',
      `${V3}/devices/PHONE`,
      { auth: auth(first.body.session) },
      alice.accessToken,
    );
    assert.equal(done.status, 200);
    assert.equal((await t.request('GET', `${V3}/account/whoami`, undefined, phone.access_token)).status, 401);
    assert.equal((await t.request('GET', `${V3}/devices/PHONE`, undefined, alice.accessToken)).status, 404);
  });

  test('delete_devices: the session is bound to the devices it was started for', async () => {
    const a = await login('A');
    const b = await login('B');
    const first = await t.request('POST', `${V3}/delete_devices`, { devices: ['A'] }, alice.accessToken);
    const switched = await t.request(
      'POST',
      `${V3}/delete_devices`,
      { devices: ['A', 'B'], auth: auth(first.body.session) },
      alice.accessToken,
    );
    assert.deepEqual([switched.status, switched.body.errcode], [403, 'M_FORBIDDEN']);
    const second = await t.request(
      'POST',
      `${V3}/delete_devices`,
      { devices: ['A', 'B'] },
      alice.accessToken,
    );
    const done = await t.request(
      'POST',
      `${V3}/delete_devices`,
      { devices: ['B', 'A'], auth: auth(second.body.session) },
      alice.accessToken,
    );
    assert.equal(done.status, 200);
    for (const s of [a, b])
      assert.equal((await t.request('GET', `${V3}/account/whoami`, undefined, s.access_token)).status, 401);
    const missing = await t.request('POST', `${V3}/delete_devices`, {}, alice.accessToken);
    assert.equal(missing.body.errcode, 'M_MISSING_PARAM');
    const wrong = await t.request('POST', `${V3}/delete_devices`, { devices: [1] }, alice.accessToken);
    assert.equal(wrong.body.errcode, 'M_BAD_JSON');
  });
});
