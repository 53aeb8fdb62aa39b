import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Credentials, homeserverWithAliceAndBob, type TestHomeserver } from '../../support/hs-client.ts';

const V3 = '/_matrix/client/v3';
const V1 = '/_matrix/client/v1';

describe('room summaries and mutual rooms', () => {
  let t: TestHomeserver;
  let alice: Credentials;
  let bob: Credentials;
  let open: string;
  let closed: string;
  before(async () => {
    ({ t, alice, bob } = await homeserverWithAliceAndBob());
    const create = async (body: object) =>
      (await t.request('POST', `${V3}/createRoom`, body, alice.accessToken)).body.room_id as string;
    open = await create({
      preset: 'public_chat',
      name: 'Open',
      topic: 'all welcome',
      room_alias_name: 'open',
    });
    closed = await create({ preset: 'private_chat', name: 'Closed' });
    await t.request('POST', `${V3}/rooms/${encodeURIComponent(open)}/join`, {}, bob.accessToken);
  });
  after(() => t.close());

  test('a public room is summarised by id and alias, even without a token', async () => {
    const byId = await t.request(
      'GET',
      `${V1}/room_summary/${encodeURIComponent(open)}`,
      undefined,
      bob.accessToken,
    );
    assert.equal(byId.status, 200);
    assert.equal(byId.body.name, 'Open');
    assert.equal(byId.body.topic, 'all welcome');
    assert.equal(byId.body.join_rule, 'public');
    assert.equal(byId.body.num_joined_members, 2);
    assert.equal(byId.body.membership, 'join');
    const alias = encodeURIComponent(`#open:${t.serverName}`);
    const anonymous = await t.request('GET', `${V1}/room_summary/${alias}`);
    assert.equal(anonymous.body.room_id, open);
    assert.equal(anonymous.body.membership, undefined);
  });

  test('a private room is 404 to outsiders and summarised for members; junk is 400', async () => {
    const outsider = await t.request(
      'GET',
      `${V1}/room_summary/${encodeURIComponent(closed)}`,
      undefined,
      bob.accessToken,
    );
    assert.deepEqual([outsider.status, outsider.body.errcode], [404, 'M_NOT_FOUND']);
    const missing = await t.request('GET', `${V1}/room_summary/${encodeURIComponent('!nope:x')}`);
    assert.deepEqual([missing.status, missing.body.errcode], [404, 'M_NOT_FOUND']);
    const member = await t.request(
      'GET',
      `${V1}/room_summary/${encodeURIComponent(closed)}`,
      undefined,
      alice.accessToken,
    );
    assert.equal(member.body.name, 'Closed');
    const junk = await t.request('GET', `${V1}/room_summary/nothing`);
    assert.deepEqual([junk.status, junk.body.errcode], [400, 'M_INVALID_PARAM']);
  });

  test('mutual rooms lists the rooms both are joined to', async () => {
    const res = await t.request(
      'GET',
      `${V1}/mutual_rooms?user_id=${encodeURIComponent(bob.userId)}`,
      undefined,
      alice.accessToken,
    );
    assert.deepEqual(res.body, { joined: [open] });
    const self = await t.request(
      'GET',
      `${V1}/mutual_rooms?user_id=${encodeURIComponent(alice.userId)}`,
      undefined,
      alice.accessToken,
    );
    assert.equal(self.body.errcode, 'M_INVALID_PARAM');
    const none = await t.request('GET', `${V1}/mutual_rooms`, undefined, alice.accessToken);
    assert.equal(none.body.errcode, 'M_MISSING_PARAM');
    assert.deepEqual(t.errors, []);
  });
});
