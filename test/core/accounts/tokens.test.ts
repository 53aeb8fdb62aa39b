// Refresh tokens, login tokens and the owner's settings (spec: "Refreshing
// access tokens", POST /refresh, POST /login/get_token, m.login.token,
// "Server Discovery" support information).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { MIN_ACCESS_TOKEN_LIFETIME_MS } from '../../../src/core/accounts/api.ts';
import { cachedHomeserverStore } from '../../../src/core/homeserver-store.ts';
import { SCHEMA } from '../../../src/core/schema.ts';
import { openDexieBlobStore } from '../../../src/platform/dexie/dexie-blob-store.ts';
import { openDexieStore } from '../../../src/platform/dexie/dexie-store.ts';
import { systemClock } from '../../../src/platform/system-clock.ts';
import { createTestHomeserver, TEST_PASSWORD, type TestHomeserver } from '../../support/hs-client.ts';

const LOGIN = '/_matrix/client/v3/login';
const REFRESH = '/_matrix/client/v3/refresh';
const WHOAMI = '/_matrix/client/v3/account/whoami';
const GET_TOKEN = '/_matrix/client/v1/login/get_token';

/** A clock the test moves by hand. */
function handClock() {
  let offset = 0;
  return {
    clock: { ...systemClock, now: () => systemClock.now() + offset },
    advance: (ms: number) => {
      offset += ms;
    },
  };
}

const password = {
  type: 'm.login.password',
  identifier: { type: 'm.id.user', user: 'alice' },
  password: TEST_PASSWORD,
};

describe('refresh tokens', () => {
  let t: TestHomeserver;
  const time = handClock();
  before(async () => {
    t = await createTestHomeserver({ clock: time.clock });
    await t.register('alice');
  });
  after(() => t.close());

  const whoami = (token: string) => t.request('GET', WHOAMI, undefined, token);
  const refresh = (token: unknown) => t.request('POST', REFRESH, { refresh_token: token });

  test('login without refresh_token gets a token that never expires and no refresh token', async () => {
    const res = await t.request('POST', LOGIN, password);
    assert.equal(res.status, 200);
    assert.equal(res.body.refresh_token, undefined);
    assert.equal(res.body.expires_in_ms, undefined);
    time.advance(30 * 24 * 3_600_000);
    assert.equal((await whoami(res.body.access_token)).status, 200);
  });

  test('login with refresh_token: the token expires (soft logout), refreshing rotates both', async () => {
    const res = await t.request('POST', LOGIN, { ...password, refresh_token: true });
    assert.equal(res.status, 200);
    assert.equal(typeof res.body.refresh_token, 'string');
    assert.equal(res.body.expires_in_ms, 5 * 60_000);
    const deviceId = res.body.device_id;
    assert.equal((await whoami(res.body.access_token)).status, 200);

    time.advance(res.body.expires_in_ms);
    const expired = await whoami(res.body.access_token);
    assert.deepEqual(
      [expired.status, expired.body.errcode, expired.body.soft_logout],
      [401, 'M_UNKNOWN_TOKEN', true],
    );

    const next = await refresh(res.body.refresh_token);
    assert.equal(next.status, 200);
    assert.equal(next.body.expires_in_ms, 5 * 60_000);
    assert.notEqual(next.body.refresh_token, res.body.refresh_token);
    const me = await whoami(next.body.access_token);
    assert.deepEqual([me.status, me.body.device_id], [200, deviceId]);

    // The new access token was used: the old refresh token is gone, with soft_logout as the spec's example.
    const reused = await refresh(res.body.refresh_token);
    assert.deepEqual(
      [reused.status, reused.body.errcode, reused.body.soft_logout],
      [401, 'M_UNKNOWN_TOKEN', true],
    );
    // The chain goes on.
    const third = await refresh(next.body.refresh_token);
    assert.equal(third.status, 200);
    assert.equal((await whoami(third.body.access_token)).status, 200);
  });

  test('an old refresh token stays good until its successor is used; refreshing again replaces that successor', async () => {
    const res = await t.request('POST', LOGIN, { ...password, refresh_token: true });
    const lost = await refresh(res.body.refresh_token);
    assert.equal(lost.status, 200);
    // The client never got `lost` (a dropped reply) and refreshes again with its old token.
    const again = await refresh(res.body.refresh_token);
    assert.equal(again.status, 200);
    assert.equal((await whoami(lost.body.access_token)).status, 401);
    assert.equal((await refresh(lost.body.refresh_token)).status, 401);
    assert.equal((await whoami(again.body.access_token)).status, 200);
    // The old access token still works until the new pair is used, then it is revoked with its refresh token.
    assert.equal((await refresh(res.body.refresh_token)).status, 401);
  });

  test('register with refresh_token gets one too', async () => {
    const first = await t.request('POST', '/_matrix/client/v3/register', {
      username: 'carol',
      password: TEST_PASSWORD,
    });
    const res = await t.request('POST', '/_matrix/client/v3/register', {
      username: 'carol',
      password: TEST_PASSWORD,
      refresh_token: true,
      auth: { type: 'm.login.dummy', session: first.body.session },
    });
    assert.equal(res.status, 200);
    assert.equal(typeof res.body.refresh_token, 'string');
    assert.equal(res.body.expires_in_ms, 5 * 60_000);
    assert.equal((await refresh(res.body.refresh_token)).status, 200);
  });

  test('forged, malformed and logged-out refresh tokens: 401 M_UNKNOWN_TOKEN or 400, never 500', async () => {
    const forged = await refresh('A'.repeat(43));
    assert.deepEqual([forged.status, forged.body.errcode], [401, 'M_UNKNOWN_TOKEN']);
    for (const body of [{}, { refresh_token: 7 }, 'not json']) {
      const res = await t.request('POST', REFRESH, body);
      assert.equal(res.status, 400, JSON.stringify(body));
    }
    const res = await t.request('POST', LOGIN, { ...password, refresh_token: true });
    assert.equal(
      (await t.request('POST', '/_matrix/client/v3/logout', {}, res.body.access_token)).status,
      200,
    );
    assert.equal((await refresh(res.body.refresh_token)).status, 401);
    assert.deepEqual(t.errors, []);
  });

  test('the owner sets the lifetime; out-of-range values are refused', async () => {
    await t.hs.settings.update({ accessTokenLifetimeMs: MIN_ACCESS_TOKEN_LIFETIME_MS });
    const res = await t.request('POST', LOGIN, { ...password, refresh_token: true });
    assert.equal(res.body.expires_in_ms, MIN_ACCESS_TOKEN_LIFETIME_MS);
    await assert.rejects(t.hs.settings.update({ accessTokenLifetimeMs: 5 }), { errcode: 'M_INVALID_PARAM' });
    await assert.rejects(t.hs.settings.update({ accessTokenLifetimeMs: 1.5e6 + 0.5 }), {
      errcode: 'M_INVALID_PARAM',
    });
    assert.equal((await t.hs.settings.get()).accessTokenLifetimeMs, MIN_ACCESS_TOKEN_LIFETIME_MS);
  });
});

describe('login tokens (get_token, m.login.token)', () => {
  let t: TestHomeserver;
  let alice: { accessToken: string; userId: string };
  const time = handClock();
  before(async () => {
    t = await createTestHomeserver({ clock: time.clock });
    alice = await t.register('alice');
  });
  after(() => t.close());

  async function getToken(): Promise<string> {
    const first = await t.request('POST', GET_TOKEN, {}, alice.accessToken);
    assert.equal(first.status, 401);
    assert.deepEqual(first.body.flows, [{ stages: ['m.login.password'] }]);
    const auth = { ...password, session: first.body.session };
    const res = await t.request('POST', GET_TOKEN, { auth }, alice.accessToken);
    assert.equal(res.status, 200);
    assert.equal(res.body.expires_in_ms, 120_000);
    return res.body.login_token;
  }
  const tokenLogin = (token: unknown) => t.request('POST', LOGIN, { type: 'm.login.token', token });

  test('/login advertises m.login.token with get_login_token; /capabilities enables it', async () => {
    const flows = await t.request('GET', LOGIN);
    assert.deepEqual(flows.body.flows, [
      { type: 'm.login.password' },
      { type: 'm.login.token', get_login_token: true },
    ]);
    const caps = await t.request('GET', '/_matrix/client/v3/capabilities', undefined, alice.accessToken);
    assert.deepEqual(caps.body.capabilities['m.get_login_token'], { enabled: true });
  });

  test('a token signs in once, as a new device of the same user', async () => {
    const token = await getToken();
    const res = await tokenLogin(token);
    assert.equal(res.status, 200);
    assert.equal(res.body.user_id, alice.userId);
    assert.equal((await t.request('GET', WHOAMI, undefined, res.body.access_token)).status, 200);
    const replay = await tokenLogin(token);
    assert.deepEqual([replay.status, replay.body.errcode], [403, 'M_FORBIDDEN']);
  });

  test('an expired, forged or malformed token is refused; a wrong password gets no token', async () => {
    const token = await getToken();
    time.advance(120_000);
    assert.deepEqual((await tokenLogin(token)).body.errcode, 'M_FORBIDDEN');
    assert.deepEqual((await tokenLogin('forged')).body.errcode, 'M_FORBIDDEN');
    assert.equal((await tokenLogin(7)).status, 400);
    assert.equal((await t.request('POST', LOGIN, { type: 'm.login.token' })).status, 400);
    const first = await t.request('POST', GET_TOKEN, {}, alice.accessToken);
    const wrong = await t.request(
      'POST',
      GET_TOKEN,
      { auth: { ...password, password: 'wrong', session: first.body.session } },
      alice.accessToken,
    );
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.errcode, 'M_FORBIDDEN');
    assert.equal(wrong.body.login_token, undefined);
    assert.equal((await t.request('POST', GET_TOKEN, {})).status, 401);
    assert.deepEqual(t.errors, []);
  });

  test('a token login may ask for a refresh token', async () => {
    const res = await t.request('POST', LOGIN, {
      type: 'm.login.token',
      token: await getToken(),
      refresh_token: true,
    });
    assert.equal(res.status, 200);
    assert.equal(typeof res.body.refresh_token, 'string');
  });
});

describe('support contact and settings across a restart', () => {
  const name = `tokens-restart-${Date.now()}`;
  const stores = async () => ({
    store: cachedHomeserverStore(await openDexieStore(name, SCHEMA, { indexedDB, IDBKeyRange }), SCHEMA),
    blobs: await openDexieBlobStore(`${name}-media`, { indexedDB, IDBKeyRange }),
  });

  test('404 M_NOT_FOUND until the owner sets a contact; it, the lifetime and refresh tokens survive a restart', async () => {
    const first = await createTestHomeserver({ stores });
    const none = await first.request('GET', '/.well-known/matrix/support');
    assert.deepEqual([none.status, none.body.errcode], [404, 'M_NOT_FOUND']);
    const support = {
      contacts: [
        {
          role: 'm.role.admin' as const,
          matrix_id: '@owner:example.org',
          email_address: 'owner@example.org',
        },
      ],
      support_page: 'https://example.org/help',
    };
    await first.hs.settings.update({ support, accessTokenLifetimeMs: 600_000 });
    await first.register('alice');
    const login = await first.request('POST', LOGIN, { ...password, refresh_token: true });
    await first.close();

    const second = await createTestHomeserver({ stores });
    try {
      const res = await second.request('GET', '/.well-known/matrix/support');
      assert.deepEqual([res.status, res.body], [200, support]);
      const next = await second.request('POST', REFRESH, { refresh_token: login.body.refresh_token });
      assert.deepEqual([next.status, next.body.expires_in_ms], [200, 600_000]);
      await second.hs.settings.update({ support: null });
      assert.equal((await second.request('GET', '/.well-known/matrix/support')).status, 404);
    } finally {
      await second.close();
    }
  });

  test('bad support information is refused with M_INVALID_PARAM', async () => {
    const t = await createTestHomeserver();
    try {
      for (const support of [
        {},
        { contacts: [] },
        { contacts: [{ role: 'm.role.admin' }] },
        { contacts: [{ role: 'boss', matrix_id: '@a:b' }] },
        { contacts: [{ role: 'm.role.admin', matrix_id: 'not-an-id' }] },
        { contacts: [{ role: 'm.role.admin', email_address: 'no at sign' }] },
        { support_page: 'javascript:alert(1)' },
      ]) {
        await assert.rejects(
          t.hs.settings.update({ support: support as never }),
          { errcode: 'M_INVALID_PARAM' },
          JSON.stringify(support),
        );
      }
    } finally {
      await t.close();
    }
  });
});
