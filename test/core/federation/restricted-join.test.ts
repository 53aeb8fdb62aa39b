// Restricted joins across servers (spec: "Restricted rooms"): a room open to
// the members of a space, joined from another server with a resident user
// vouching (join_authorised_via_users_server, co-signed at send_join), found
// among the peers of the space when the first resident asked cannot vouch;
// and a room held here whose join no member here may authorise, joined
// through another resident (the first asked failing, the next vouching);
// and a join whose authorising server vouched at make_join but failed at
// send_join, retried among the peers of the allowed space.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createMemoryNetwork } from '../../../src/core/federation/memory-transport.ts';
import type { FederationHandler, PeerTransport } from '../../../src/core/federation/transport.ts';
import { systemClock } from '../../../src/platform/system-clock.ts';
import {
  type Account,
  type Cluster,
  type ClusterNode,
  createFederatedCluster,
  eventually,
  type Json,
  type RunningNode,
  serverNameFor,
  startFederatedNode,
} from '../../support/federated-cluster.ts';
import { createRoom, join, putState, say, seesTexts, stateContent } from './room-helpers.ts';

const member = (node: ClusterNode, who: Account, roomId: string, userId: string) =>
  stateContent(node, who, roomId, 'm.room.member', userId);

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

/** A space and a room restricted to its members, both made by `who` on `node` (version 10). */
async function spaceAndRestrictedRoom(node: ClusterNode, who: Account, powerLevels = {}) {
  const space = await createRoom(node, who, {
    preset: 'public_chat',
    creation_content: { type: 'm.space' },
    room_version: '10',
  });
  const roomId = await restrictedRoom(node, who, space, {
    room_version: '10',
    power_level_content_override: powerLevels,
  });
  return { space, roomId };
}

/** A private room made by `who` on `node`, restricted to the members of `space`; `fields` add to the creation. */
function restrictedRoom(node: ClusterNode, who: Account, space: string, fields: Json = {}) {
  return createRoom(node, who, {
    preset: 'private_chat',
    ...fields,
    initial_state: [
      {
        type: 'm.room.join_rules',
        state_key: '',
        content: { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: space }] },
      },
    ],
  });
}

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
    const { space, roomId } = await spaceAndRestrictedRoom(a, alice);
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

  test('a room held here that no member here may authorise: joined through another resident that can', async () => {
    const [a, b, c] = [cluster.node('a'), cluster.node('b'), cluster.node('c')];
    const ann = await a.register('ann');
    const ben = await b.register('ben');
    const cid = await c.register('cid');
    const cody = await c.register('cody');
    // The space is Ben's, on B; the room is Ann's, on A, open to the space's
    // members, with invites at 50.
    const space = await createRoom(b, ben, { preset: 'public_chat', creation_content: { type: 'm.space' } });
    assert.equal((await join(a, ann, space, [b.serverName])).status, 200);
    const roomId = await restrictedRoom(a, ann, space, { power_level_content_override: { invite: 50 } });
    // B and C hold both rooms, with no one there who may invite.
    for (const [node, who] of [
      [b, ben],
      [c, cid],
    ] as const) {
      if (node !== b) assert.equal((await join(node, who, space, [b.serverName])).status, 200);
      await eventually(
        async () => (await member(a, ann, space, who.userId))?.membership === 'join',
        `A sees ${who.userId} in the space`,
      );
      const joined = await join(node, who, roomId, [a.serverName]);
      assert.equal(joined.status, 200, JSON.stringify(joined.body));
    }
    // Cody joins the space on C, then the room: C holds it but cannot vouch
    // (M_UNABLE_TO_GRANT_JOIN), nor can B; A can.
    assert.equal((await join(c, cody, space)).status, 200);
    for (const [node, who] of [
      [a, ann],
      [b, ben],
    ] as const) {
      await eventually(
        async () => (await member(node, who, space, cody.userId))?.membership === 'join',
        `${node.label} sees cody in the space`,
      );
    }
    const joined = await join(c, cody, roomId);
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    const onC = await member(c, cid, roomId, cody.userId);
    assert.equal(onC.membership, 'join');
    assert.equal(onC.join_authorised_via_users_server, ann.userId);
    await say(c, cody, roomId, 'vouched from afar');
    await seesTexts(a, ann, roomId, ['vouched from afar']);
    await seesTexts(b, ben, roomId, ['vouched from afar']);
    // Not in the space: still refused.
    const stranger = await c.register('stranger');
    const refused = await join(c, stranger, roomId);
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
  });
});

describe('restricted joins whose authorising server fails at send_join', () => {
  const network = createMemoryNetwork(systemClock);
  const nodes: RunningNode[] = [];
  /** How many send_joins to fail, wherever they arrive (the authoriser fails after vouching). */
  let sendJoinsToFail = 0;

  before(async () => {
    for (const label of ['a', 'b', 'c']) {
      const base = network.transport(await serverNameFor(label));
      const failing: FederationHandler = async () => {
        sendJoinsToFail--;
        return { status: 500, body: { errcode: 'M_UNKNOWN', error: 'down' } };
      };
      const transport: PeerTransport = {
        ...base,
        onRequest: (handler) =>
          base.onRequest((from, req) =>
            sendJoinsToFail > 0 && req.path.includes('/send_join/') ? failing(from, req) : handler(from, req),
          ),
      };
      nodes.push(await startFederatedNode({ label, transport }));
    }
  });
  after(async () => {
    for (const node of nodes) {
      await node.stop();
      await node.store.close();
    }
  });

  test('the join is retried among the other residents, and another vouches', async () => {
    const [a, b, c] = nodes as [RunningNode, RunningNode, RunningNode];
    const alice = await a.register('alice');
    const bob = await b.register('bob');
    const cat = await c.register('cat');
    // Version 12: the room id names no server to fall back on.
    const space = await createRoom(a, alice, {
      preset: 'public_chat',
      creation_content: { type: 'm.space' },
    });
    const roomId = await restrictedRoom(a, alice, space, { power_level_content_override: { invite: 50 } });
    assert.equal((await join(c, cat, space, [a.serverName])).status, 200);
    assert.equal((await join(c, cat, roomId, [a.serverName])).status, 200);
    const levels = await stateContent(a, alice, roomId, 'm.room.power_levels');
    await putState(a, alice, roomId, 'm.room.power_levels', {
      ...levels,
      users: { ...levels.users, [cat.userId]: 50 },
    });
    await eventually(
      async () => (await stateContent(c, cat, roomId, 'm.room.power_levels'))?.users?.[cat.userId] === 50,
      'C knows cat may invite',
    );
    assert.equal((await join(b, bob, space, [a.serverName])).status, 200);
    await eventually(
      async () => (await member(c, cat, space, bob.userId))?.membership === 'join',
      'C sees bob in the space',
    );
    sendJoinsToFail = 1;
    const joined = await join(b, bob, roomId, [c.serverName]);
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    const seen = await member(b, bob, roomId, bob.userId);
    assert.equal(seen.membership, 'join');
    assert.equal(seen.join_authorised_via_users_server, alice.userId);
    assert.equal(sendJoinsToFail, 0, 'C failed after vouching');
    await say(b, bob, roomId, 'in after all');
    await seesTexts(a, alice, roomId, ['in after all']);

    // Bea on B, in the space: B holds the room but nobody there may invite;
    // of the residents that can (A and C), the first asked fails at send_join
    // and the next vouches.
    const bea = await b.register('bea');
    assert.equal((await join(b, bea, space)).status, 200);
    for (const [node, who] of [
      [a, alice],
      [c, cat],
    ] as const) {
      await eventually(
        async () => (await member(node, who, space, bea.userId))?.membership === 'join',
        `${node.label} sees bea in the space`,
      );
    }
    sendJoinsToFail = 1;
    const held = await join(b, bea, roomId);
    assert.equal(held.status, 200, JSON.stringify(held.body));
    assert.equal(sendJoinsToFail, 0, 'the first resident asked failed after vouching');
    const bees = await member(b, bob, roomId, bea.userId);
    assert.equal(bees.membership, 'join');
    assert.ok([alice.userId, cat.userId].includes(bees.join_authorised_via_users_server));
    await say(b, bea, roomId, 'held and vouched');
    await seesTexts(a, alice, roomId, ['held and vouched']);
    await seesTexts(c, cat, roomId, ['held and vouched']);
  });
});
