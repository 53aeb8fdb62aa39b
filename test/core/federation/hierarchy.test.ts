// Space hierarchies across servers (spec: "Spaces"): children held by
// another server come from its federation `hierarchy`; private children stay
// hidden; suggested_only, max_depth and paging.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Cluster, type Json, createFederatedCluster } from '../../support/federated-cluster.ts';
import { createRoom, putState } from './room-helpers.ts';

const enc = encodeURIComponent;

describe('space hierarchy across servers', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await createFederatedCluster(['a', 'b']);
  });
  after(() => cluster.close());

  test('a space with children on both servers', async () => {
    const a = cluster.node('a');
    const b = cluster.node('b');
    const alice = await a.register('alice');
    const carol = await a.register('carol');
    const bob = await b.register('bob');
    const space = await createRoom(a, alice, {
      preset: 'public_chat',
      name: 'Space',
      creation_content: { type: 'm.space' },
    });
    const here = await createRoom(a, alice, { preset: 'public_chat', name: 'Here' });
    const there = await createRoom(b, bob, { preset: 'public_chat', name: 'There', topic: 'on b' });
    const secret = await createRoom(b, bob, { preset: 'private_chat', name: 'Secret' });
    const sub = await createRoom(b, bob, {
      preset: 'public_chat',
      name: 'Sub',
      creation_content: { type: 'm.space' },
    });
    const deep = await createRoom(b, bob, { preset: 'public_chat', name: 'Deep' });
    await putState(b, bob, sub, 'm.space.child', { via: [b.serverName] }, deep);
    await putState(a, alice, space, 'm.space.child', { via: [a.serverName], suggested: true }, here);
    await putState(a, alice, space, 'm.space.child', { via: [b.serverName], suggested: true }, there);
    await putState(a, alice, space, 'm.space.child', { via: [b.serverName] }, secret);
    await putState(a, alice, space, 'm.space.child', { via: [b.serverName] }, sub);

    const ask = async (query = '') => {
      const res = await a.request(
        'GET',
        `/_matrix/client/v1/rooms/${enc(space)}/hierarchy${query}`,
        undefined,
        carol.accessToken,
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    };
    const all = await ask();
    const names = all.rooms.map((r: Json) => r.name);
    assert.deepEqual(names.sort(), ['Deep', 'Here', 'Space', 'Sub', 'There']);
    const thereRoom = all.rooms.find((r: Json) => r.room_id === there);
    assert.equal(thereRoom.topic, 'on b');
    assert.equal(thereRoom.join_rule, 'public');
    const spaceRoom = all.rooms.find((r: Json) => r.room_id === space);
    assert.equal(spaceRoom.room_type, 'm.space');
    assert.equal(spaceRoom.children_state.length, 4);

    const suggested = await ask('?suggested_only=true');
    assert.deepEqual(suggested.rooms.map((r: Json) => r.name).sort(), ['Here', 'Space', 'There']);
    const shallow = await ask('?max_depth=1');
    assert.ok(!shallow.rooms.some((r: Json) => r.name === 'Deep'));

    const first = await ask('?limit=2');
    assert.equal(first.rooms.length, 2);
    const rest = await ask(`?limit=10&from=${enc(first.next_batch)}`);
    assert.equal(first.rooms.length + rest.rooms.length, 5);

    // B serves its rooms to A's asking, the private one left out.
    const served = await a.federation.client.get(
      b.serverName,
      `/_matrix/federation/v1/hierarchy/${enc(sub)}`,
    );
    assert.equal((served.room as Json).name, 'Sub');
    const hidden = await a.federation.client
      .get(b.serverName, `/_matrix/federation/v1/hierarchy/${enc(secret)}`)
      .then(
        () => 200,
        (err: { status: number }) => err.status,
      );
    assert.equal(hidden, 404);
    assert.deepEqual([...a.problems, ...b.problems], []);
  });
});
