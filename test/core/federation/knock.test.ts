// Knocking across servers (spec: client-server "Knocking on rooms",
// server-server make_knock/send_knock): a user of B knocks on a room of A,
// sees it in sync with the room's stripped state, A's members see the knock,
// an invite answers it and the user joins; a knock withdrawn by leaving.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type Account,
  type Cluster,
  type ClusterNode,
  type Json,
  createFederatedCluster,
  eventually,
} from '../../support/federated-cluster.ts';
import { createRoom, join, say, seesTexts, stateContent, sync } from './room-helpers.ts';

const memberOf = (node: ClusterNode, who: Account, roomId: string, userId: string) =>
  stateContent(node, who, roomId, 'm.room.member', userId);

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

function knock(node: ClusterNode, who: Account, roomId: string, via: readonly string[], reason?: string) {
  const query = via.map((s) => `via=${enc(s)}`).join('&');
  return node.request(
    'POST',
    `${V3}/knock/${enc(roomId)}?${query}`,
    reason ? { reason } : {},
    who.accessToken,
  );
}

describe('knocking across servers', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await createFederatedCluster(['a', 'b']);
  });
  after(() => cluster.close());

  test('knock → invite → join', async () => {
    const a = cluster.node('a');
    const b = cluster.node('b');
    const alice = await a.register('alice');
    const bob = await b.register('bob');
    const roomId = await createRoom(a, alice, {
      preset: 'private_chat',
      name: 'Knock knock',
      room_version: '10',
      initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }],
    });
    const joinedBefore = await join(b, bob, roomId, [a.serverName]);
    assert.equal(joinedBefore.status, 403, 'a knock room cannot be joined uninvited');
    const knocked = await knock(b, bob, roomId, [a.serverName], 'let me in');
    assert.equal(knocked.status, 200, JSON.stringify(knocked.body));
    assert.equal(knocked.body.room_id, roomId);

    const knockSync = await sync(b, bob);
    const state = knockSync.rooms.knock[roomId].knock_state.events;
    assert.ok(state.some((e: Json) => e.type === 'm.room.name' && e.content.name === 'Knock knock'));
    assert.ok(state.some((e: Json) => e.type === 'm.room.join_rules' && e.content.join_rule === 'knock'));
    assert.ok(
      state.some(
        (e: Json) =>
          e.type === 'm.room.member' && e.state_key === bob.userId && e.content.membership === 'knock',
      ),
    );

    const seen = await memberOf(a, alice, roomId, bob.userId);
    assert.equal(seen.membership, 'knock');
    assert.equal(seen.reason, 'let me in');

    const invited = await a.request(
      'POST',
      `${V3}/rooms/${enc(roomId)}/invite`,
      { user_id: bob.userId },
      alice.accessToken,
    );
    assert.equal(invited.status, 200, JSON.stringify(invited.body));
    await eventually(async () => (await sync(b, bob)).rooms?.invite?.[roomId], 'the invite reaches bob');
    const joined = await join(b, bob, roomId, [a.serverName]);
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    await say(b, bob, roomId, 'thanks for letting me in');
    await seesTexts(a, alice, roomId, ['thanks for letting me in']);
    assert.deepEqual([...a.problems, ...b.problems], []);
  });

  test('a knock is withdrawn by leaving, and a public room refuses knocks', async () => {
    const a = cluster.node('a');
    const b = cluster.node('b');
    const alice = await a.register('alice2');
    const bob = await b.register('bob2');
    const roomId = await createRoom(a, alice, {
      preset: 'private_chat',
      room_version: '10',
      initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }],
    });
    assert.equal((await knock(b, bob, roomId, [a.serverName])).status, 200);
    assert.equal((await memberOf(a, alice, roomId, bob.userId)).membership, 'knock');
    const left = await b.request('POST', `${V3}/rooms/${enc(roomId)}/leave`, {}, bob.accessToken);
    assert.equal(left.status, 200, JSON.stringify(left.body));
    assert.equal((await sync(b, bob)).rooms?.knock?.[roomId], undefined);
    await eventually(
      async () => (await memberOf(a, alice, roomId, bob.userId))?.membership === 'leave',
      'alice sees the knock withdrawn',
    );

    const open = await createRoom(a, alice, { preset: 'public_chat', room_version: '10' });
    const refused = await knock(b, bob, open, [a.serverName]);
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
  });

  test('a local knock shows to the room’s members and in the knocker’s sync', async () => {
    const a = cluster.node('a');
    const alice = await a.register('alice3');
    const carol = await a.register('carol3');
    const roomId = await createRoom(a, alice, {
      preset: 'private_chat',
      room_version: '10',
      initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }],
    });
    assert.equal((await knock(a, carol, roomId, [])).status, 200);
    assert.ok((await sync(a, carol)).rooms.knock[roomId]);
    assert.equal((await memberOf(a, alice, roomId, carol.userId)).membership, 'knock');
    const invite = await createRoom(a, alice, { preset: 'private_chat', room_version: '10' });
    assert.equal((await knock(a, carol, invite, [])).status, 403, 'the invite join rule refuses knocks');
  });
});
