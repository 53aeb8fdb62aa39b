// Room upgrades across servers (spec: client-server API "Room Upgrades"):
// the upgrader's server makes the new room, tombstones the old one and
// moves its aliases; a member on another server follows the tombstone.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Cluster, createFederatedCluster, eventually } from '../../support/federated-cluster.ts';
import { createRoom, join, say, seesTexts, stateContent as state } from './room-helpers.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

describe('room upgrades across servers', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await createFederatedCluster(['a', 'b']);
  });
  after(() => cluster.close());

  test('upgrade: tombstone, predecessor, state and aliases moved, followed from the other server', async () => {
    const a = cluster.node('a');
    const b = cluster.node('b');
    const alice = await a.register('alice');
    const bob = await b.register('bob');
    const oldId = await createRoom(a, alice, {
      preset: 'public_chat',
      name: 'Old hall',
      topic: 'before the move',
      room_alias_name: 'hall',
      visibility: 'public',
      room_version: '10',
    });
    assert.equal((await join(b, bob, oldId, [a.serverName])).status, 200);
    const refused = await b.request(
      'POST',
      `${V3}/rooms/${enc(oldId)}/upgrade`,
      { new_version: '11' },
      bob.accessToken,
    );
    assert.equal(refused.status, 403, 'bob may not send the tombstone');
    const unknown = await a.request(
      'POST',
      `${V3}/rooms/${enc(oldId)}/upgrade`,
      { new_version: '99' },
      alice.accessToken,
    );
    assert.equal(unknown.body.errcode, 'M_UNSUPPORTED_ROOM_VERSION');

    const upgraded = await a.request(
      'POST',
      `${V3}/rooms/${enc(oldId)}/upgrade`,
      { new_version: '11' },
      alice.accessToken,
    );
    assert.equal(upgraded.status, 200, JSON.stringify(upgraded.body));
    const newId = upgraded.body.replacement_room;
    const create = await state(a, alice, newId, 'm.room.create');
    assert.equal(create.room_version, '11');
    assert.equal(create.predecessor.room_id, oldId);
    assert.equal((await state(a, alice, newId, 'm.room.name')).name, 'Old hall');
    assert.equal((await state(a, alice, newId, 'm.room.topic')).topic, 'before the move');
    assert.equal((await state(a, alice, newId, 'm.room.join_rules')).join_rule, 'public');
    assert.equal((await state(a, alice, newId, 'm.room.canonical_alias')).alias, `#hall:${a.serverName}`);
    const alias = await a.request('GET', `${V3}/directory/room/${enc(`#hall:${a.serverName}`)}`);
    assert.equal(alias.body.room_id, newId);
    const oldPower = await state(a, alice, oldId, 'm.room.power_levels');
    assert.ok(oldPower.events_default >= 50 && oldPower.invite >= 50);

    // Bob's server sees the tombstone and the restricted old room; bob follows it.
    const tombstone = await eventually(
      () => state(b, bob, oldId, 'm.room.tombstone'),
      'the tombstone reaches b',
    );
    assert.equal(tombstone.replacement_room, newId);
    await eventually(
      async () => (await state(b, bob, oldId, 'm.room.power_levels'))?.events_default >= 50,
      'restricted',
    );
    const stuck = await b.request(
      'PUT',
      `${V3}/rooms/${enc(oldId)}/send/m.room.message/u1`,
      { msgtype: 'm.text', body: 'x' },
      bob.accessToken,
    );
    assert.equal(stuck.status, 403);
    assert.equal((await join(b, bob, newId, [a.serverName])).status, 200);
    await say(b, bob, newId, 'moved in');
    await seesTexts(a, alice, newId, ['moved in']);
    assert.deepEqual([...a.problems, ...b.problems], []);
  });
});
