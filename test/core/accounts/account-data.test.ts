import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { accountDataSince } from '../../../src/core/accounts/api.ts';
import { accountTableNames } from '../../../src/core/accounts/tables.ts';
import { currentStreamPosition, STREAM_TABLE } from '../../../src/core/storage/stream.ts';
import { type Credentials, homeserverWithAliceAndBob, type TestHomeserver } from '../../support/hs-client.ts';

describe('account data', () => {
  let t: TestHomeserver;
  let alice: Credentials;
  let bob: Credentials;
  let base: string;
  let room: string;
  before(async () => {
    ({ t, alice, bob } = await homeserverWithAliceAndBob());
    base = `/_matrix/client/v3/user/${encodeURIComponent(alice.userId)}`;
    room = `${base}/rooms/${encodeURIComponent(`!garden:${t.serverName}`)}/account_data`;
  });
  after(() => t.close());

  test('global account data: put, get, and 404 M_NOT_FOUND when unset', async () => {
    const missing = await t.request('GET', `${base}/account_data/m.direct`, undefined, alice.accessToken);
    assert.deepEqual([missing.status, missing.body.errcode], [404, 'M_NOT_FOUND']);
    const content = { [bob.userId]: ['!dm:hs'] };
    assert.equal(
      (await t.request('PUT', `${base}/account_data/m.direct`, content, alice.accessToken)).status,
      200,
    );
    assert.deepEqual(
      (await t.request('GET', `${base}/account_data/m.direct`, undefined, alice.accessToken)).body,
      content,
    );
  });

  test('room account data is separate from global data', async () => {
    assert.equal(
      (await t.request('PUT', `${room}/m.tag`, { tags: { u: {} } }, alice.accessToken)).status,
      200,
    );
    assert.deepEqual((await t.request('GET', `${room}/m.tag`, undefined, alice.accessToken)).body, {
      tags: { u: {} },
    });
    assert.equal(
      (await t.request('GET', `${base}/account_data/m.tag`, undefined, alice.accessToken)).status,
      404,
    );
  });

  test('bad room ids, bodies, server-managed types and other users', async () => {
    const badRoom = await t.request(
      'PUT',
      `${base}/rooms/not-a-room/account_data/m.tag`,
      {},
      alice.accessToken,
    );
    assert.deepEqual([badRoom.status, badRoom.body.errcode], [400, 'M_INVALID_PARAM']);
    const getBadRoom = await t.request(
      'GET',
      `${base}/rooms/%40user%3Ahs/account_data/m.tag`,
      undefined,
      alice.accessToken,
    );
    assert.equal(getBadRoom.body.errcode, 'M_INVALID_PARAM');
    assert.equal(
      (await t.request('PUT', `${base}/account_data/x`, '[1]', alice.accessToken)).body.errcode,
      'M_BAD_JSON',
    );
    assert.equal(
      (await t.request('PUT', `${base}/account_data/x`, 'nope', alice.accessToken)).body.errcode,
      'M_NOT_JSON',
    );
    for (const path of [`${base}/account_data/m.push_rules`, `${room}/m.fully_read`]) {
      const res = await t.request('PUT', path, {}, alice.accessToken);
      assert.deepEqual([res.status, res.body.errcode], [405, 'M_BAD_JSON'], path);
    }
    const other = await t.request('PUT', `${base}/account_data/x`, {}, bob.accessToken);
    assert.deepEqual([other.status, other.body.errcode], [403, 'M_FORBIDDEN']);
    assert.equal(
      (await t.request('GET', `${base}/account_data/m.direct`, undefined, bob.accessToken)).status,
      403,
    );
  });

  test('accountDataSince gives what changed after a stream position', async () => {
    const before = await t.store.read([STREAM_TABLE], (tx) => currentStreamPosition(tx));
    await t.request('PUT', `${base}/account_data/org.example.a`, { n: 1 }, alice.accessToken);
    await t.request('PUT', `${room}/org.example.b`, { n: 2 }, alice.accessToken);
    const changes = await t.store.read(accountTableNames, (tx) => accountDataSince(tx, alice.userId, before));
    assert.deepEqual(changes.global, [{ type: 'org.example.a', content: { n: 1 } }]);
    assert.deepEqual(changes.rooms, {
      [`!garden:${t.serverName}`]: [{ type: 'org.example.b', content: { n: 2 } }],
    });
    const initial = await t.store.read(accountTableNames, (tx) => accountDataSince(tx, alice.userId, 0));
    const types = initial.global.map((e) => e.type).sort();
    assert.deepEqual(types, ['m.direct', 'm.push_rules', 'org.example.a']);
    const bobs = await t.store.read(accountTableNames, (tx) => accountDataSince(tx, bob.userId, before));
    assert.deepEqual(bobs, { global: [], rooms: {} });
  });
});
