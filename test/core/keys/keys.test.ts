import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testDevice } from '../../support/device-keys.ts';
import {
  type Credentials,
  homeserverWithAliceAndBob,
  TEST_PASSWORD,
  type TestHomeserver,
} from '../../support/hs-client.ts';

const V3 = '/_matrix/client/v3';

describe('keys: upload, query, claim and sync counts', () => {
  let t: TestHomeserver;
  let alice: Credentials;
  let bob: Credentials;
  before(async () => {
    ({ t, alice, bob } = await homeserverWithAliceAndBob());
  });
  after(() => t.close());

  const upload = (who: Credentials, body: unknown) =>
    t.request('POST', `${V3}/keys/upload`, body, who.accessToken);

  test('device keys, one-time and fallback keys are stored and counted', async () => {
    const device = await testDevice(alice.userId, alice.deviceId);
    const otks = Object.fromEntries([await device.signedKey('AAAA'), await device.signedKey('AAAB')]);
    const fallback = Object.fromEntries([await device.signedKey('FFFF', true)]);
    const res = await upload(alice, {
      device_keys: await device.deviceKeys(),
      one_time_keys: otks,
      fallback_keys: fallback,
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.one_time_key_counts, { signed_curve25519: 2 });
    // A repeat of the same keys changes nothing.
    const again = await upload(alice, { one_time_keys: otks });
    assert.deepEqual(again.body.one_time_key_counts, { signed_curve25519: 2 });

    const sync = await t.request('GET', `${V3}/sync`, undefined, alice.accessToken);
    assert.deepEqual(sync.body.device_one_time_keys_count, { signed_curve25519: 2 });
    assert.deepEqual(sync.body.device_unused_fallback_key_types, ['signed_curve25519']);
  });

  test('device dehydration (MSC3814) is not offered: 404 M_UNRECOGNIZED, as Element expects of servers without it', async () => {
    for (const path of [
      '/_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device',
      '/_matrix/client/v1/dehydrated_device',
    ]) {
      const res = await t.request('GET', path, undefined, alice.accessToken);
      assert.deepEqual([res.status, res.body.errcode], [404, 'M_UNRECOGNIZED'], path);
    }
  });

  test('keys/query returns the device keys with the display name; r0 works too', async () => {
    await t.request('PUT', `${V3}/devices/${alice.deviceId}`, { display_name: 'Laptop' }, alice.accessToken);
    const res = await t.request(
      'POST',
      '/_matrix/client/r0/keys/query',
      { device_keys: { [alice.userId]: [] } },
      bob.accessToken,
    );
    assert.equal(res.status, 200);
    const keys = res.body.device_keys[alice.userId][alice.deviceId];
    assert.equal(keys.device_id, alice.deviceId);
    assert.equal(keys.unsigned.device_display_name, 'Laptop');
    assert.deepEqual(res.body.failures, {});
  });

  test('keys/claim hands out each one-time key once, then the fallback key', async () => {
    const claim = () =>
      t.request(
        'POST',
        `${V3}/keys/claim`,
        { one_time_keys: { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } } },
        bob.accessToken,
      );
    const ids = [];
    for (let i = 0; i < 3; i++) {
      const res = await claim();
      ids.push(Object.keys(res.body.one_time_keys[alice.userId][alice.deviceId])[0]);
    }
    assert.deepEqual(ids, ['signed_curve25519:AAAA', 'signed_curve25519:AAAB', 'signed_curve25519:FFFF']);
    const sync = await t.request('GET', `${V3}/sync`, undefined, alice.accessToken);
    assert.deepEqual(sync.body.device_one_time_keys_count, { signed_curve25519: 0 });
    assert.deepEqual(sync.body.device_unused_fallback_key_types, []);
    // The fallback key is handed out again until a new one replaces it.
    const fourth = await claim();
    assert.ok(fourth.body.one_time_keys[alice.userId][alice.deviceId]['signed_curve25519:FFFF']);
  });

  test('bad input is refused and nothing is stored', async () => {
    const device = await testDevice(bob.userId, bob.deviceId);
    const good = await device.deviceKeys();
    // A signature that does not verify.
    const forged = { ...good, algorithms: ['m.megolm.v1.aes-sha2'] };
    const bad = await upload(bob, {
      device_keys: forged,
      one_time_keys: Object.fromEntries([await device.signedKey('B1')]),
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errcode, 'M_INVALID_SIGNATURE');
    // Keys of another device, and of another user.
    const other = await testDevice(bob.userId, 'OTHER');
    assert.equal(
      (await upload(bob, { device_keys: await other.deviceKeys() })).body.errcode,
      'M_INVALID_PARAM',
    );
    const aliceDevice = await testDevice(alice.userId, alice.deviceId);
    assert.equal(
      (await upload(bob, { device_keys: await aliceDevice.deviceKeys() })).body.errcode,
      'M_INVALID_PARAM',
    );
    const query = await t.request(
      'POST',
      `${V3}/keys/query`,
      { device_keys: { [bob.userId]: [] } },
      bob.accessToken,
    );
    assert.deepEqual(query.body.device_keys[bob.userId], {});
    // A one-time key re-uploaded with other content.
    assert.equal(
      (
        await upload(bob, {
          device_keys: good,
          one_time_keys: Object.fromEntries([await device.signedKey('B1')]),
        })
      ).status,
      200,
    );
    const [id] = await device.signedKey('B1');
    const [, otherContent] = await device.signedKey('B2');
    const clash = await upload(bob, {
      one_time_keys: { [id]: otherContent, ...Object.fromEntries([await device.signedKey('B3')]) },
    });
    assert.equal(clash.status, 400);
    const counts = await upload(bob, {});
    assert.deepEqual(counts.body.one_time_key_counts, { signed_curve25519: 1 }, 'B3 was not stored either');
    // A one-time key signed by someone else.
    const [, aliceSigned] = await aliceDevice.signedKey('B4');
    assert.equal(
      (await upload(bob, { one_time_keys: { 'signed_curve25519:B4': aliceSigned } })).body.errcode,
      'M_INVALID_SIGNATURE',
    );
  });

  test('to-device: oversize messages are 413, a repeated txnId is sent once, wildcards reach every device', async () => {
    const big = { blob: 'x'.repeat(70_000) };
    const tooBig = await t.request(
      'PUT',
      `${V3}/sendToDevice/m.test/big`,
      { messages: { [alice.userId]: { '*': big } } },
      bob.accessToken,
    );
    assert.equal(tooBig.status, 413);
    assert.equal(tooBig.body.errcode, 'M_TOO_LARGE');
    const first = await t.request('GET', `${V3}/sync`, undefined, alice.accessToken);
    for (const n of [1, 2]) {
      const res = await t.request(
        'PUT',
        `${V3}/sendToDevice/m.test/same`,
        { messages: { [alice.userId]: { '*': { n } } } },
        bob.accessToken,
      );
      assert.equal(res.status, 200);
    }
    const next = await t.request(
      'GET',
      `${V3}/sync?since=${first.body.next_batch}`,
      undefined,
      alice.accessToken,
    );
    assert.deepEqual(next.body.to_device.events, [{ sender: bob.userId, type: 'm.test', content: { n: 1 } }]);
  });

  test('deleting a device deletes its keys and shows in the other user’s device_lists', async () => {
    const room = await t.request('POST', `${V3}/createRoom`, { invite: [bob.userId] }, alice.accessToken);
    await t.request('POST', `${V3}/join/${encodeURIComponent(room.body.room_id)}`, {}, bob.accessToken);
    const first = await t.request('GET', `${V3}/sync`, undefined, bob.accessToken);
    const login = await t.request('POST', `${V3}/login`, {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'alice' },
      password: TEST_PASSWORD,
    });
    const second = await testDevice(alice.userId, login.body.device_id);
    const secondCreds = { ...alice, accessToken: login.body.access_token, deviceId: login.body.device_id };
    await upload(secondCreds, { device_keys: await second.deviceKeys() });
    const changed = await t.request(
      'GET',
      `${V3}/sync?since=${first.body.next_batch}`,
      undefined,
      bob.accessToken,
    );
    assert.deepEqual(changed.body.device_lists.changed, [alice.userId]);
    const changes = await t.request(
      'GET',
      `${V3}/keys/changes?from=${first.body.next_batch}&to=${changed.body.next_batch}`,
      undefined,
      bob.accessToken,
    );
    assert.deepEqual(changes.body.changed, [alice.userId]);

    const start = await t.request(
      'POST',
      `${V3}/delete_devices`,
      { devices: [secondCreds.deviceId] },
      alice.accessToken,
    );
    const auth = {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: alice.userId },
      password: TEST_PASSWORD,
      session: start.body.session,
    };
    const deleted = await t.request(
      'POST',
      `${V3}/delete_devices`,
      { devices: [secondCreds.deviceId], auth },
      alice.accessToken,
    );
    assert.equal(deleted.status, 200);
    const after = await t.request(
      'GET',
      `${V3}/sync?since=${changed.body.next_batch}`,
      undefined,
      bob.accessToken,
    );
    assert.deepEqual(after.body.device_lists.changed, [alice.userId]);
    const query = await t.request(
      'POST',
      `${V3}/keys/query`,
      { device_keys: { [alice.userId]: [] } },
      bob.accessToken,
    );
    assert.deepEqual(Object.keys(query.body.device_keys[alice.userId]), [alice.deviceId]);
  });

  test('device_lists.left when the last shared room is left, changed when a room is shared again', async () => {
    const carol = await t.register('carol');
    const room = await t.request('POST', `${V3}/createRoom`, { preset: 'public_chat' }, alice.accessToken);
    const roomId = encodeURIComponent(room.body.room_id);
    await t.request('POST', `${V3}/join/${roomId}`, {}, carol.accessToken);
    const before = await t.request('GET', `${V3}/sync`, undefined, alice.accessToken);
    await t.request('POST', `${V3}/rooms/${roomId}/leave`, {}, carol.accessToken);
    const left = await t.request(
      'GET',
      `${V3}/sync?since=${before.body.next_batch}`,
      undefined,
      alice.accessToken,
    );
    assert.deepEqual(left.body.device_lists.left, [carol.userId]);
    await t.request('POST', `${V3}/join/${roomId}`, {}, carol.accessToken);
    const back = await t.request(
      'GET',
      `${V3}/sync?since=${left.body.next_batch}`,
      undefined,
      alice.accessToken,
    );
    assert.deepEqual(back.body.device_lists.changed, [carol.userId]);
    // And the joiner learns about everyone in the room.
    const carolSync = await t.request(
      'GET',
      `${V3}/sync?since=${left.body.next_batch}`,
      undefined,
      carol.accessToken,
    );
    assert.ok(carolSync.body.device_lists.changed.includes(alice.userId));
  });
});
