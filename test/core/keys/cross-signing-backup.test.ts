import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signJson } from '../../../src/core/protocol.ts';
import { crossSigningKey, testDevice } from '../../support/device-keys.ts';
import {
  createTestHomeserver,
  type Credentials,
  homeserverWithAliceAndBob,
  TEST_PASSWORD,
  type TestHomeserver,
} from '../../support/hs-client.ts';
import { signerFor } from '../../support/ed25519.ts';

const V3 = '/_matrix/client/v3';

describe('cross-signing', () => {
  let t: TestHomeserver;
  let alice: Credentials;
  let bob: Credentials;
  before(async () => {
    ({ t, alice, bob } = await homeserverWithAliceAndBob());
  });
  after(() => t.close());

  test('first upload needs no auth, a replacement needs the password; signatures upload and show', async () => {
    const master = await crossSigningKey(alice.userId, 'master');
    const ssk = await crossSigningKey(alice.userId, 'self_signing', master);
    const usk = await crossSigningKey(alice.userId, 'user_signing', master);
    const upload = { master_key: master.key, self_signing_key: ssk.key, user_signing_key: usk.key };
    const first = await t.request('POST', `${V3}/keys/device_signing/upload`, upload, alice.accessToken);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    // The same keys again: nothing to authorise.
    assert.equal(
      (await t.request('POST', `${V3}/keys/device_signing/upload`, upload, alice.accessToken)).status,
      200,
    );

    // A self-signing key not signed by the master key is refused.
    const stray = await crossSigningKey(alice.userId, 'self_signing', undefined, 'stray');
    const unsigned = await t.request(
      'POST',
      `${V3}/keys/device_signing/upload`,
      { self_signing_key: stray.key },
      alice.accessToken,
    );
    assert.equal(unsigned.status, 401, 'auth comes first');
    const auth = {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: alice.userId },
      password: TEST_PASSWORD,
      session: unsigned.body.session,
    };
    const refused = await t.request(
      'POST',
      `${V3}/keys/device_signing/upload`,
      { self_signing_key: stray.key, auth },
      alice.accessToken,
    );
    assert.equal(refused.body.errcode, 'M_INVALID_SIGNATURE');

    // The device signed by the self-signing key.
    const device = await testDevice(alice.userId, alice.deviceId);
    const deviceKeys = await device.deviceKeys();
    await t.request('POST', `${V3}/keys/upload`, { device_keys: deviceKeys }, alice.accessToken);
    const signed = await signJson(deviceKeys, signerFor(alice.userId, ssk.seed, ssk.keyId));
    const sigs = await t.request(
      'POST',
      `${V3}/keys/signatures/upload`,
      { [alice.userId]: { [alice.deviceId]: signed } },
      alice.accessToken,
    );
    assert.deepEqual(sigs.body.failures, {});
    // A forged signature is a failure.
    const forged = await signJson(deviceKeys, signerFor(alice.userId, stray.seed, ssk.keyId));
    const bad = await t.request(
      'POST',
      `${V3}/keys/signatures/upload`,
      { [alice.userId]: { [alice.deviceId]: forged } },
      alice.accessToken,
    );
    assert.equal(bad.body.failures[alice.userId][alice.deviceId].errcode, 'M_INVALID_SIGNATURE');

    const query = await t.request(
      'POST',
      `${V3}/keys/query`,
      { device_keys: { [alice.userId]: [] } },
      bob.accessToken,
    );
    assert.ok(query.body.device_keys[alice.userId][alice.deviceId].signatures[alice.userId][ssk.keyId]);
    assert.deepEqual(query.body.master_keys[alice.userId].keys, master.key.keys);
    assert.ok(query.body.self_signing_keys[alice.userId]);
    assert.equal(
      query.body.user_signing_keys[alice.userId],
      undefined,
      'only the owner sees the user-signing key',
    );
    const own = await t.request(
      'POST',
      `${V3}/keys/query`,
      { device_keys: { [alice.userId]: [] } },
      alice.accessToken,
    );
    assert.ok(own.body.user_signing_keys[alice.userId]);
  });
});

describe('key backup', () => {
  let t: TestHomeserver;
  let alice: Credentials;
  before(async () => {
    t = await createTestHomeserver();
    alice = await t.register('alice');
  });
  after(() => t.close());
  const req = (method: string, path: string, body?: unknown) =>
    t.request(method, `${V3}${path}`, body, alice.accessToken);
  const session = (index: number, verified = false) => ({
    first_message_index: index,
    forwarded_count: 0,
    is_verified: verified,
    session_data: { ciphertext: `c${index}`, ephemeral: 'e', mac: 'm' },
  });

  test('no backup is 404 M_NOT_FOUND; versions, keys at three levels, etag and count', async () => {
    const none = await req('GET', '/room_keys/version');
    assert.equal(none.status, 404);
    assert.equal(none.body.errcode, 'M_NOT_FOUND');
    const created = await req('POST', '/room_keys/version', {
      algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2',
      auth_data: { public_key: 'k' },
    });
    const version = created.body.version;

    assert.equal(version, '1');
    const current = await req('GET', '/room_keys/version');
    assert.equal(current.body.version, '1');
    assert.equal(current.body.count, 0);

    const put = await req('PUT', `/room_keys/keys?version=${version}`, {
      rooms: { '!r:x': { sessions: { s1: session(5), s2: session(0) } } },
    });
    assert.equal(put.body.count, 2);
    const etag1 = put.body.etag;
    // A worse key does not replace a better one; a better one does.
    const worse = await req('PUT', `/room_keys/keys/!r:x/s1?version=${version}`, session(9));
    assert.equal(worse.body.etag, etag1);
    const betterKey = await req('PUT', `/room_keys/keys/!r:x/s1?version=${version}`, session(1, true));
    assert.notEqual(betterKey.body.etag, etag1);
    assert.equal(
      (await req('GET', `/room_keys/keys/!r:x/s1?version=${version}`)).body.first_message_index,
      1,
    );
    assert.deepEqual(
      Object.keys((await req('GET', `/room_keys/keys/!r:x?version=${version}`)).body.sessions).sort(),
      ['s1', 's2'],
    );
    assert.deepEqual(Object.keys((await req('GET', `/room_keys/keys?version=${version}`)).body.rooms), [
      '!r:x',
    ]);

    // Writing to an old version is refused with the current one named.
    await req('POST', '/room_keys/version', {
      algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2',
      auth_data: {},
    });
    const stale = await req('PUT', `/room_keys/keys/!r:x/s3?version=${version}`, session(0));
    assert.equal(stale.status, 403);
    assert.equal(stale.body.errcode, 'M_WRONG_ROOM_KEYS_VERSION');
    assert.equal(stale.body.current_version, '2');

    const deleted = await req('DELETE', `/room_keys/keys/!r:x/s2?version=${version}`);
    assert.equal(deleted.body.count, 1);
    assert.equal((await req('DELETE', '/room_keys/version/2')).status, 200);
    assert.equal((await req('GET', '/room_keys/version')).body.version, '1');
    assert.equal((await req('GET', '/room_keys/version/2')).status, 404);
  });
});
