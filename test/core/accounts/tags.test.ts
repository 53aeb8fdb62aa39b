import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Credentials, homeserverWithAliceAndBob, type TestHomeserver } from '../../support/hs-client.ts';

describe('room tags', () => {
  let t: TestHomeserver;
  let alice: Credentials;
  let bob: Credentials;
  let roomId: string;
  let tags: string;
  before(async () => {
    ({ t, alice, bob } = await homeserverWithAliceAndBob());
    roomId = (await t.request('POST', '/_matrix/client/v3/createRoom', {}, alice.accessToken)).body.room_id;
    tags = `/_matrix/client/v3/user/${encodeURIComponent(alice.userId)}/rooms/${encodeURIComponent(roomId)}/tags`;
  });
  after(() => t.close());

  test('put, get and delete a tag; sync carries m.tag as room account data', async () => {
    assert.deepEqual((await t.request('GET', tags, undefined, alice.accessToken)).body, { tags: {} });
    const put = await t.request('PUT', `${tags}/m.favourite`, { order: 0.25 }, alice.accessToken);
    assert.equal(put.status, 200);
    await t.request('PUT', `${tags}/u.work`, {}, alice.accessToken);
    assert.deepEqual((await t.request('GET', tags, undefined, alice.accessToken)).body, {
      tags: { 'm.favourite': { order: 0.25 }, 'u.work': {} },
    });
    const sync = await t.request('GET', '/_matrix/client/v3/sync', undefined, alice.accessToken);
    const events = sync.body.rooms.join[roomId].account_data.events;
    assert.deepEqual(
      events.find((e: { type: string }) => e.type === 'm.tag'),
      { type: 'm.tag', content: { tags: { 'm.favourite': { order: 0.25 }, 'u.work': {} } } },
    );
    assert.equal((await t.request('DELETE', `${tags}/u.work`, undefined, alice.accessToken)).status, 200);
    assert.equal((await t.request('DELETE', `${tags}/u.none`, undefined, alice.accessToken)).status, 200);
    const next = await t.request(
      'GET',
      `/_matrix/client/v3/sync?since=${sync.body.next_batch}&timeout=0`,
      undefined,
      alice.accessToken,
    );
    assert.deepEqual(next.body.rooms.join[roomId].account_data.events, [
      { type: 'm.tag', content: { tags: { 'm.favourite': { order: 0.25 } } } },
    ]);
  });

  test('other users, rooms without membership and bad bodies get spec errors', async () => {
    const other = await t.request('GET', tags, undefined, bob.accessToken);
    assert.deepEqual([other.status, other.body.errcode], [403, 'M_FORBIDDEN']);
    const bobs = `/_matrix/client/v3/user/${encodeURIComponent(bob.userId)}/rooms/${encodeURIComponent(roomId)}/tags/m.lowpriority`;
    const notIn = await t.request('PUT', bobs, {}, bob.accessToken);
    assert.deepEqual([notIn.status, notIn.body.errcode], [403, 'M_FORBIDDEN']);
    const badRoom = `/_matrix/client/v3/user/${encodeURIComponent(alice.userId)}/rooms/nope/tags/u.x`;
    assert.equal((await t.request('PUT', badRoom, {}, alice.accessToken)).body.errcode, 'M_INVALID_PARAM');
    assert.equal(
      (await t.request('PUT', `${tags}/u.x`, { order: 'a' }, alice.accessToken)).body.errcode,
      'M_BAD_JSON',
    );
    assert.equal((await t.request('PUT', `${tags}/u.x`, '[]', alice.accessToken)).body.errcode, 'M_BAD_JSON');
    const long = await t.request('PUT', `${tags}/${'x'.repeat(300)}`, {}, alice.accessToken);
    assert.deepEqual([long.status, long.body.errcode], [400, 'M_INVALID_PARAM']);
    assert.deepEqual(t.errors, []);
  });
});
