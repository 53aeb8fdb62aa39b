import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestHomeserver, TEST_PASSWORD } from '../support/hs-client.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

describe('the composed homeserver', () => {
  test('a displayname change reaches the member event of every joined room', async () => {
    const t = await createTestHomeserver();
    const alice = await t.register('alice');
    const room = (await t.request('POST', `${V3}/createRoom`, {}, alice.accessToken)).body.room_id;
    await t.request(
      'PUT',
      `${V3}/profile/${enc(alice.userId)}/displayname`,
      { displayname: 'Alice A.' },
      alice.accessToken,
    );
    const member = await t.request(
      'GET',
      `${V3}/rooms/${enc(room)}/state/m.room.member/${enc(alice.userId)}`,
      undefined,
      alice.accessToken,
    );
    assert.deepEqual(member.body, { membership: 'join', displayname: 'Alice A.' });
    assert.deepEqual(t.errors, []);
    await t.close();
  });

  test('a deactivated user leaves their rooms', async () => {
    const t = await createTestHomeserver();
    const alice = await t.register('alice');
    const bob = await t.register('bob');
    const room = (await t.request('POST', `${V3}/createRoom`, { preset: 'public_chat' }, alice.accessToken))
      .body.room_id;
    assert.equal((await t.request('POST', `${V3}/join/${enc(room)}`, {}, bob.accessToken)).status, 200);
    const auth = {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'bob' },
      password: TEST_PASSWORD,
    };
    const first = await t.request('POST', `${V3}/account/deactivate`, {}, bob.accessToken);
    const done = await t.request(
      'POST',
      `${V3}/account/deactivate`,
      { auth: { ...auth, session: first.body.session } },
      bob.accessToken,
    );
    assert.equal(done.status, 200);
    const member = await t.request(
      'GET',
      `${V3}/rooms/${enc(room)}/state/m.room.member/${enc(bob.userId)}`,
      undefined,
      alice.accessToken,
    );
    assert.equal(member.body.membership, 'leave');
    await t.close();
  });

  test('close() ends waiting long-polls, then further requests are 503', async () => {
    const t = await createTestHomeserver();
    const alice = await t.register('alice');
    const initial = await t.request('GET', `${V3}/sync`, undefined, alice.accessToken);
    const waiting = t.request(
      'GET',
      `${V3}/sync?timeout=600000&since=${enc(initial.body.next_batch)}`,
      undefined,
      alice.accessToken,
    );
    await t.hs.close();
    const ended = await waiting;
    assert.equal(ended.status, 200);
    const after = await t.request('GET', '/_matrix/client/versions');
    assert.equal(after.status, 503);
    assert.equal(after.headers['access-control-allow-origin'], '*');
    await t.store.close();
  });
});
