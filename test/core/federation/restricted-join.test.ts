// Restricted joins across servers (spec: "Restricted rooms"): a room open to
// the members of a space, joined from another server with a resident user
// vouching (join_authorised_via_users_server, co-signed at send_join), found
// among the peers of the space when the first resident asked cannot vouch.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type Account,
  type Cluster,
  type ClusterNode,
  createFederatedCluster,
} from '../../support/federated-cluster.ts';
import { createRoom, join, say, seesTexts, stateContent } from './room-helpers.ts';

const member = (node: ClusterNode, who: Account, roomId: string, userId: string) =>
  stateContent(node, who, roomId, 'm.room.member', userId);

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

describe('restricted joins across servers', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await createFederatedCluster(['a', 'b', 'c']);
  });
  after(() => cluster.close());

  test('members of the allowed space join, through a resident that can vouch', async () => {
    const [a, b, c] = [cluster.node('a'), cluster.node('b'), cluster.node('c')];
    const alice = await a.register('alice');
    const dave = await a.register('dave');
    const bob = await b.register('bob');
    const carol = await b.register('carol');
    const cat = await c.register('cat');
    const space = await createRoom(a, alice, {
      preset: 'public_chat',
      creation_content: { type: 'm.space' },
      room_version: '10',
    });
    const roomId = await createRoom(a, alice, {
      preset: 'private_chat',
      room_version: '10',
      initial_state: [
        {
          type: 'm.room.join_rules',
          state_key: '',
          content: { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: space }] },
        },
      ],
    });
    // Not in the space: refused.
    const refused = await join(b, carol, roomId, [a.serverName]);
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    // Local: dave joins the space, then the room; alice vouches.
    assert.equal((await join(a, dave, space)).status, 200);
    const local = await join(a, dave, roomId);
    assert.equal(local.status, 200, JSON.stringify(local.body));
    assert.equal(
      (await member(a, alice, roomId, dave.userId)).join_authorised_via_users_server,
      alice.userId,
    );
    // C joins the room through the space too, then cat leaves the space: C is
    // in the room but not in the space, so it cannot vouch any more.
    assert.equal((await join(c, cat, space, [a.serverName])).status, 200);
    const viaA = await join(c, cat, roomId, [a.serverName]);
    assert.equal(viaA.status, 200, JSON.stringify(viaA.body));
    const left = await c.request('POST', `${V3}/rooms/${enc(space)}/leave`, {}, cat.accessToken);
    assert.equal(left.status, 200);
    // Bob is in the space; he asks C first, which cannot vouch; A, a peer of the space, does.
    assert.equal((await join(b, bob, space, [a.serverName])).status, 200);
    const joined = await join(b, bob, roomId, [c.serverName]);
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    const seen = await member(a, alice, roomId, bob.userId);
    assert.equal(seen.membership, 'join');
    assert.equal(seen.join_authorised_via_users_server, alice.userId);
    await say(b, bob, roomId, 'in through the space');
    await seesTexts(a, alice, roomId, ['in through the space']);
    await seesTexts(c, cat, roomId, ['in through the space']);
    assert.deepEqual([...a.problems, ...b.problems, ...c.problems], []);
  });
});
