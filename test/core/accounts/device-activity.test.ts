// A device's last_seen_ts follows its use, to the nearest few minutes: what
// a client's session list shows so the user can spot a forgotten session.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LAST_SEEN_GRANULARITY_MS } from '../../../src/core/accounts/device-activity.ts';
import { DEVICES, type DeviceRow } from '../../../src/core/accounts/tables.ts';
import { type Credentials, createTestHomeserver, type TestHomeserver } from '../../support/hs-client.ts';
import { FakeClock } from '../sync/fake-clock.ts';

const V3 = '/_matrix/client/v3';

describe('device activity', () => {
  const clock = new FakeClock();
  let t: TestHomeserver;
  let alice: Credentials;
  before(async () => {
    t = await createTestHomeserver({ clock });
    alice = await t.register('alice');
  });
  after(() => t.close());

  const lastSeen = async () =>
    (await t.request('GET', `${V3}/devices/${alice.deviceId}`, undefined, alice.accessToken)).body
      .last_seen_ts as number;

  test('a device in use has last_seen_ts moved on, at most once per interval', async () => {
    const registered = clock.now();
    assert.equal(await lastSeen(), registered);
    await clock.advance(LAST_SEEN_GRANULARITY_MS - 1);
    assert.equal(await lastSeen(), registered, 'not yet: within the interval');
    await clock.advance(1);
    const later = clock.now();
    assert.equal(await lastSeen(), later);
    assert.equal(t.errors.length, 0);
  });

  test('an unused device keeps its time', async () => {
    const bob = await t.register('bob');
    const registered = clock.now();
    await clock.advance(3 * LAST_SEEN_GRANULARITY_MS);
    await t.request('GET', `${V3}/account/whoami`, undefined, alice.accessToken);
    const row = await t.store.read([DEVICES], (tx) => tx.get<DeviceRow>(DEVICES, [bob.userId, bob.deviceId]));
    assert.equal(row?.last_seen_ts, registered);
    assert.equal(await lastSeen(), clock.now(), 'while the device in use moved on');
  });
});
