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
