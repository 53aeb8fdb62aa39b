import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createTestHomeserver,
  type Credentials,
  homeserverWithAliceAndBob,
  type TestHomeserver,
} from '../../support/hs-client.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

describe('profiles', () => {
  let t: TestHomeserver;
  let alice: Credentials;
  let bob: Credentials;
  before(async () => {
    ({ t, alice, bob } = await homeserverWithAliceAndBob());
  });
  after(() => t.close());

  test('a new account’s displayname is its localpart', async () => {
    const res = await t.request('GET', `${V3}/profile/${enc(alice.userId)}`);
    assert.deepEqual(res.body, { displayname: 'alice' });
  });

  test('the owner sets displayname and avatar_url; others read them', async () => {
    const put = await t.request(
      'PUT',
      `${V3}/profile/${enc(alice.userId)}/displayname`,
      { displayname: 'Alice A.' },
      alice.accessToken,
    );
    assert.equal(put.status, 200);
    await t.request(
      'PUT',
      `${V3}/profile/${enc(alice.userId)}/avatar_url`,
      { avatar_url: 'mxc://hs/abc' },
      alice.accessToken,
    );
    const profile = await t.request('GET', `${V3}/profile/${enc(alice.userId)}`, undefined, bob.accessToken);
    assert.deepEqual(profile.body, { displayname: 'Alice A.', avatar_url: 'mxc://hs/abc' });
    const name = await t.request('GET', `${V3}/profile/${enc(alice.userId)}/displayname`);
    assert.deepEqual(name.body, { displayname: 'Alice A.' });
  });

  test('clearing a field makes its endpoint 404', async () => {
    await t.request(
      'PUT',
      `${V3}/profile/${enc(bob.userId)}/avatar_url`,
      { avatar_url: null },
      bob.accessToken,
    );
    const res = await t.request('GET', `${V3}/profile/${enc(bob.userId)}/avatar_url`);
    assert.deepEqual([res.status, res.body.errcode], [404, 'M_NOT_FOUND']);
  });

  test('nobody sets another user’s profile', async () => {
    const res = await t.request(
      'PUT',
      `${V3}/profile/${enc(alice.userId)}/displayname`,
      { displayname: 'pwned' },
      bob.accessToken,
    );
    assert.deepEqual([res.status, res.body.errcode], [403, 'M_FORBIDDEN']);
  });

  test('unknown users are 404, malformed ids 400, bad values 400', async () => {
    const unknown = await t.request('GET', `${V3}/profile/${enc(`@nobody:${t.serverName}`)}`);
    assert.deepEqual([unknown.status, unknown.body.errcode], [404, 'M_NOT_FOUND']);
    const remote = await t.request('GET', `${V3}/profile/${enc('@someone:example.org')}`);
    assert.equal(remote.status, 404);
    const malformed = await t.request('GET', `${V3}/profile/not-a-user`);
    assert.deepEqual([malformed.status, malformed.body.errcode], [400, 'M_INVALID_PARAM']);
    const path = `${V3}/profile/${enc(alice.userId)}/displayname`;
    assert.equal(
      (await t.request('PUT', path, { displayname: 5 }, alice.accessToken)).body.errcode,
      'M_BAD_JSON',
    );
    assert.equal(
      (await t.request('PUT', path, { displayname: 'x'.repeat(257) }, alice.accessToken)).body.errcode,
      'M_INVALID_PARAM',
    );
    assert.equal((await t.request('PUT', path, '[]', alice.accessToken)).body.errcode, 'M_BAD_JSON');
  });
});

describe('user directory', () => {
  let t: TestHomeserver;
  let carol: Credentials;
  before(async () => {
    t = await createTestHomeserver();
    carol = await t.register('carol');
    await t.register('caroline');
    const dan = await t.register('dan');
    await t.request(
      'PUT',
      `${V3}/profile/${enc(dan.userId)}/displayname`,
      { displayname: 'Dan Carolsson' },
      dan.accessToken,
    );
  });
  after(() => t.close());

  const search = (body: object) => t.request('POST', `${V3}/user_directory/search`, body, carol.accessToken);

  test('finds local users by localpart or displayname, best matches first', async () => {
    const res = await search({ search_term: 'carol' });
    assert.equal(res.status, 200);
    const ids = res.body.results.map((r: { user_id: string }) => r.user_id.split(':')[0]);
    assert.deepEqual(ids, ['@carol', '@caroline', '@dan']);
    assert.equal(res.body.results[2].display_name, 'Dan Carolsson');
    assert.equal(res.body.limited, false);
  });

  test('limit truncates and says so', async () => {
    const res = await search({ search_term: 'carol', limit: 1 });
    assert.equal(res.body.results.length, 1);
    assert.equal(res.body.limited, true);
  });

  test('bad input and missing auth', async () => {
    assert.equal((await search({})).body.errcode, 'M_MISSING_PARAM');
    assert.equal((await search({ search_term: 1 })).body.errcode, 'M_BAD_JSON');
    assert.equal((await search({ search_term: 'a', limit: -1 })).body.errcode, 'M_INVALID_PARAM');
    const anonymous = await t.request('POST', `${V3}/user_directory/search`, { search_term: 'a' });
    assert.equal(anonymous.status, 401);
  });
});

describe('custom profile fields (spec v1.16)', () => {
  let t: TestHomeserver;
  let alice: Credentials;
  let bob: Credentials;
  before(async () => {
    ({ t, alice, bob } = await homeserverWithAliceAndBob());
  });
  after(() => t.close());

  const field = (user: Credentials, key: string) => `${V3}/profile/${enc(user.userId)}/${enc(key)}`;

  test('set, read in the whole profile and alone, replace, delete', async () => {
    const put = await t.request('PUT', field(alice, 'm.tz'), { 'm.tz': 'Europe/Paris' }, alice.accessToken);
    assert.deepEqual([put.status, put.body], [200, {}]);
    const value = { langs: ['fr', 'en'], n: 1.5, ok: true };
    await t.request(
      'PUT',
      field(alice, 'org.example.about'),
      { 'org.example.about': value },
      alice.accessToken,
    );
    const whole = await t.request('GET', `${V3}/profile/${enc(alice.userId)}`, undefined, bob.accessToken);
    assert.deepEqual(whole.body, {
      displayname: 'alice',
      'm.tz': 'Europe/Paris',
      'org.example.about': value,
    });
    const one = await t.request('GET', field(alice, 'org.example.about'));
    assert.deepEqual(one.body, { 'org.example.about': value });
    await t.request('PUT', field(alice, 'm.tz'), { 'm.tz': 'Asia/Tokyo' }, alice.accessToken);
    assert.deepEqual((await t.request('GET', field(alice, 'm.tz'))).body, { 'm.tz': 'Asia/Tokyo' });
    const del = await t.request('DELETE', field(alice, 'm.tz'), undefined, alice.accessToken);
    assert.deepEqual([del.status, del.body], [200, {}]);
    const gone = await t.request('GET', field(alice, 'm.tz'));
    assert.deepEqual([gone.status, gone.body.errcode], [404, 'M_NOT_FOUND']);
    // Deleting what is not there is fine (idempotent).
    assert.equal((await t.request('DELETE', field(alice, 'm.tz'), undefined, alice.accessToken)).status, 200);
  });

  test('DELETE displayname clears it, as PUT null does', async () => {
    await t.request('PUT', field(bob, 'displayname'), { displayname: 'Bobby' }, bob.accessToken);
    assert.equal(
      (await t.request('DELETE', field(bob, 'displayname'), undefined, bob.accessToken)).status,
      200,
    );
    assert.equal((await t.request('GET', field(bob, 'displayname'))).status, 404);
    await t.request('PUT', field(bob, 'displayname'), { displayname: 'bob' }, bob.accessToken);
  });

  test('bad keys, bodies and sizes get the spec errors; others may not change the profile', async () => {
    const cases: [string, unknown, number, string][] = [
      ['Bad.Key', { 'Bad.Key': 1 }, 400, 'M_INVALID_PARAM'],
      ['nodot', { nodot: 1 }, 400, 'M_INVALID_PARAM'],
      [`a.${'b'.repeat(260)}`, {}, 400, 'M_KEY_TOO_LARGE'],
      ['org.example.x', { other: 1 }, 400, 'M_MISSING_PARAM'],
      ['m.tz', { 'm.tz': 5 }, 400, 'M_INVALID_PARAM'],
      ['org.example.big', { 'org.example.big': 'x'.repeat(64 * 1024) }, 400, 'M_PROFILE_TOO_LARGE'],
    ];
    for (const [key, body, status, errcode] of cases) {
      const res = await t.request('PUT', field(alice, key), body, alice.accessToken);
      assert.deepEqual([res.status, res.body.errcode], [status, errcode], key.slice(0, 20));
    }
    // Just under the limit fits; then one more field does not.
    const half = 'y'.repeat(40 * 1024);
    assert.equal(
      (await t.request('PUT', field(alice, 'org.example.a'), { 'org.example.a': half }, alice.accessToken))
        .status,
      200,
    );
    const over = await t.request(
      'PUT',
      field(alice, 'org.example.b'),
      { 'org.example.b': half },
      alice.accessToken,
    );
    assert.equal(over.body.errcode, 'M_PROFILE_TOO_LARGE');
    assert.equal((await t.request('GET', field(alice, 'org.example.b'))).status, 404, 'nothing half-written');
    await t.request('DELETE', field(alice, 'org.example.a'), undefined, alice.accessToken);
    const other = await t.request(
      'PUT',
      field(alice, 'org.example.x'),
      { 'org.example.x': 1 },
      bob.accessToken,
    );
    assert.deepEqual([other.status, other.body.errcode], [403, 'M_FORBIDDEN']);
    const otherDelete = await t.request('DELETE', field(alice, 'displayname'), undefined, bob.accessToken);
    assert.deepEqual([otherDelete.status, otherDelete.body.errcode], [403, 'M_FORBIDDEN']);
    assert.equal((await t.request('DELETE', field(alice, 'org.example.x'))).status, 401);
    assert.deepEqual(t.errors, []);
  });

  test('/capabilities says custom fields may be set', async () => {
    const caps = await t.request('GET', `${V3}/capabilities`, undefined, alice.accessToken);
    assert.deepEqual(caps.body.capabilities['m.profile_fields'], { enabled: true });
  });
});
