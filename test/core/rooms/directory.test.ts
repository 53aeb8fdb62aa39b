import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Harness, path, startHarness } from './harness.ts';

describe('aliases and the room directory', () => {
  let hs: Harness;
  let alice: string;
  let bob: string;
  before(async () => {
    hs = await startHarness();
    alice = hs.user('alice');
    bob = hs.user('bob');
  });
  after(() => hs.close());

  const alias = (name: string) => `#${name}:${hs.serverName}`;

  test('put, resolve, list and delete an alias', async () => {
    const roomId = await hs.createRoom(alice);
    const put = await hs.request('PUT', path`/_matrix/client/v3/directory/room/${alias('plans')}`, {
      as: alice,
      body: { room_id: roomId },
    });
    assert.equal(put.status, 200);
    const resolved = await hs.request('GET', path`/_matrix/client/v3/directory/room/${alias('plans')}`);
    assert.deepEqual(resolved.body, { room_id: roomId, servers: [hs.serverName] });
    const taken = await hs.request('PUT', path`/_matrix/client/v3/directory/room/${alias('plans')}`, {
      as: alice,
      body: { room_id: roomId },
    });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.errcode, 'M_UNKNOWN');
    const remote = await hs.request(
      'PUT',
      path`/_matrix/client/v3/directory/room/${'#plans:elsewhere.example'}`,
      {
        as: alice,
        body: { room_id: roomId },
      },
    );
    assert.equal(remote.status, 400);
    const notMember = await hs.request('PUT', path`/_matrix/client/v3/directory/room/${alias('theirs')}`, {
      as: bob,
      body: { room_id: roomId },
    });
    assert.equal(notMember.status, 403);
    const list = await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/aliases`, { as: alice });
    assert.deepEqual(list.body, { aliases: [alias('plans')] });
    assert.equal(
      (await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/aliases`, { as: bob })).status,
      403,
    );
    const canonical = await hs.request(
      'PUT',
      path`/_matrix/client/v3/rooms/${roomId}/state/m.room.canonical_alias/`,
      {
        as: alice,
        body: { alias: alias('plans') },
      },
    );
    assert.equal(canonical.status, 200);
    const refused = await hs.request('DELETE', path`/_matrix/client/v3/directory/room/${alias('plans')}`, {
      as: bob,
    });
    assert.equal(refused.status, 403);
    const deleted = await hs.request('DELETE', path`/_matrix/client/v3/directory/room/${alias('plans')}`, {
      as: alice,
    });
    assert.equal(deleted.status, 200);
    const gone = await hs.request('GET', path`/_matrix/client/v3/directory/room/${alias('plans')}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.errcode, 'M_NOT_FOUND');
    const invalid = await hs.request('GET', path`/_matrix/client/v3/directory/room/${'plans'}`);
    assert.equal(invalid.status, 400);
  });

  test('publicRooms lists published rooms with their details, searchable and paged', async () => {
    const fresh = await startHarness();
    const carol = fresh.user('carol');
    const dave = fresh.user('dave');
    const big = await fresh.createRoom(carol, {
      visibility: 'public',
      name: 'Gardening',
      topic: 'Tomatoes and more',
      room_alias_name: 'garden',
    });
    await fresh.request('POST', path`/_matrix/client/v3/rooms/${big}/join`, { as: dave, body: {} });
    const small = await fresh.createRoom(carol, { visibility: 'public', name: 'Chess' });
    const space = await fresh.createRoom(carol, {
      visibility: 'public',
      name: 'A space',
      creation_content: { type: 'm.space' },
    });
    await fresh.createRoom(carol, { name: 'Private' });
    const all = await fresh.request('GET', '/_matrix/client/v3/publicRooms');
    assert.equal(all.status, 200);
    assert.equal(all.body.total_room_count_estimate, 3);
    assert.equal(all.body.chunk[0].room_id, big);
    assert.deepEqual(all.body.chunk[0], {
      room_id: big,
      num_joined_members: 2,
      world_readable: false,
      guest_can_join: false,
      join_rule: 'public',
      name: 'Gardening',
      topic: 'Tomatoes and more',
      canonical_alias: `#garden:${fresh.serverName}`,
    });
    const paged = await fresh.request('GET', '/_matrix/client/v3/publicRooms', { query: { limit: '2' } });
    assert.equal(paged.body.chunk.length, 2);
    const rest = await fresh.request('GET', '/_matrix/client/v3/publicRooms', {
      query: { limit: '2', since: paged.body.next_batch },
    });
    assert.equal(rest.body.chunk.length, 1);
    assert.equal(rest.body.next_batch, undefined);
    assert.equal(rest.body.prev_batch, 'p0');
    const found = await fresh.request('POST', '/_matrix/client/v3/publicRooms', {
      as: dave,
      body: { filter: { generic_search_term: 'TOMATO' } },
    });
    assert.deepEqual(
      found.body.chunk.map((r: { room_id: string }) => r.room_id),
      [big],
    );
    const spaces = await fresh.request('POST', '/_matrix/client/v3/publicRooms', {
      as: dave,
      body: { filter: { room_types: ['m.space'] } },
    });
    assert.deepEqual(
      spaces.body.chunk.map((r: { room_id: string; room_type: string }) => [r.room_id, r.room_type]),
      [[space, 'm.space']],
    );
    const badSince = await fresh.request('GET', '/_matrix/client/v3/publicRooms', {
      query: { since: 'zzz' },
    });
    assert.equal(badSince.status, 400);
    const otherServer = await fresh.request('GET', '/_matrix/client/v3/publicRooms', {
      query: { server: 'elsewhere.example' },
    });
    assert.equal(otherServer.status, 404);
    const visibility = await fresh.request('GET', path`/_matrix/client/v3/directory/list/room/${small}`);
    assert.deepEqual(visibility.body, { visibility: 'public' });
    const notAllowed = await fresh.request('PUT', path`/_matrix/client/v3/directory/list/room/${small}`, {
      as: dave,
      body: { visibility: 'private' },
    });
    assert.equal(notAllowed.status, 403);
    const hide = await fresh.request('PUT', path`/_matrix/client/v3/directory/list/room/${small}`, {
      as: carol,
      body: { visibility: 'private' },
    });
    assert.equal(hide.status, 200);
    const after = await fresh.request('GET', path`/_matrix/client/v3/directory/list/room/${small}`);
    assert.deepEqual(after.body, { visibility: 'private' });
    const badValue = await fresh.request('PUT', path`/_matrix/client/v3/directory/list/room/${small}`, {
      as: carol,
      body: { visibility: 'secret' },
    });
    assert.equal(badValue.status, 400);
    const unknownRoom = await fresh.request(
      'GET',
      path`/_matrix/client/v3/directory/list/room/${`!x:${fresh.serverName}`}`,
    );
    assert.equal(unknownRoom.status, 404);
    await fresh.close();
  });
});
