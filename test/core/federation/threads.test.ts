// Threads across two servers (spec: client-server API "Threading"): the
// threads list with its bundled aggregation, threaded read receipts, per
// thread unread counts in sync and /relations with `recurse`.
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
import { seesTexts, twoServerRoom } from './room-helpers.ts';

const V1 = '/_matrix/client/v1';
const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
let txn = 0;

async function send(node: ClusterNode, who: Account, roomId: string, type: string, content: Json) {
  const path = `${V3}/rooms/${enc(roomId)}/send/${type}/th${++txn}`;
  const res = await node.request('PUT', path, content, who.accessToken);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.event_id as string;
}

const reply = (node: ClusterNode, who: Account, roomId: string, root: string, body: string) =>
  send(node, who, roomId, 'm.room.message', {
    msgtype: 'm.text',
    body,
    'm.relates_to': { rel_type: 'm.thread', event_id: root, is_falling_back: true },
  });

async function get(node: ClusterNode, who: Account, path: string): Promise<Json> {
  const res = await node.request('GET', path, undefined, who.accessToken);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

describe('threads across servers', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await createFederatedCluster(['a', 'b']);
  });
  after(() => cluster.close());

  test('threads list, bundled aggregation, receipts, unread counts and recursive relations', async () => {
    const a = cluster.node('a');
    const b = cluster.node('b');
    const { alice, bob, roomId } = await twoServerRoom(a, b);
    const carol = await a.register('carol');
    assert.equal((await a.request('POST', `${V3}/join/${enc(roomId)}`, {}, carol.accessToken)).status, 200);
    const root = await send(a, alice, roomId, 'm.room.message', { msgtype: 'm.text', body: 'root' });
    const other = await send(a, alice, roomId, 'm.room.message', { msgtype: 'm.text', body: 'other root' });
    await reply(a, alice, roomId, other, 'other reply');
    await seesTexts(b, bob, roomId, ['other reply']);
    const bobReply = await reply(b, bob, roomId, root, 'reply from b');
    await seesTexts(a, alice, roomId, ['reply from b']);
    const aliceReply = await reply(a, alice, roomId, root, 'reply from a');
    await seesTexts(b, bob, roomId, ['reply from a']);

    // The list on each server: latest activity first, with the aggregation.
    for (const [node, who] of [
      [a, alice],
      [b, bob],
    ] as const) {
      const list = await get(node, who, `${V1}/rooms/${enc(roomId)}/threads`);
      assert.deepEqual(
        list.chunk.map((e: Json) => e.event_id),
        [root, other],
      );
      const bundle = list.chunk[0].unsigned['m.relations']['m.thread'];
      assert.equal(bundle.count, 2);
      assert.equal(bundle.latest_event.event_id, aliceReply);
      assert.equal(bundle.current_user_participated, true);
    }
    const participated = await get(b, bob, `${V1}/rooms/${enc(roomId)}/threads?include=participated`);
    assert.deepEqual(
      participated.chunk.map((e: Json) => e.event_id),
      [root],
    );
    const paged = await get(a, carol, `${V1}/rooms/${enc(roomId)}/threads?limit=1`);
    assert.deepEqual(
      paged.chunk.map((e: Json) => e.event_id),
      [root],
    );
    const rest = await get(
      a,
      carol,
      `${V1}/rooms/${enc(roomId)}/threads?limit=1&from=${enc(paged.next_batch)}`,
    );
    assert.deepEqual(
      rest.chunk.map((e: Json) => e.event_id),
      [other],
    );
    assert.equal(
      (await get(a, carol, `${V1}/rooms/${enc(roomId)}/threads?include=participated`)).chunk.length,
      0,
    );

    // The root seen anywhere (here /event) carries the aggregation too.
    const rootEvent = await get(b, bob, `${V3}/rooms/${enc(roomId)}/event/${enc(root)}`);
    assert.equal(rootEvent.unsigned['m.relations']['m.thread'].count, 2);

    // Per-thread unread counts for carol, who read nothing yet.
    const filter = JSON.stringify({ room: { timeline: { unread_thread_notifications: true } } });
    const counts = async (who: Account) => {
      const body = await get(a, who, `${V3}/sync?filter=${enc(filter)}`);
      return body.rooms.join[roomId];
    };
    const before = await counts(carol);
    assert.equal(before.unread_thread_notifications[root].notification_count, 2);
    assert.equal(before.unread_thread_notifications[other].notification_count, 1);
    assert.equal(before.unread_notifications.notification_count, 2, 'the two roots in the main timeline');
    // A receipt in the thread clears that thread only.
    const receipt = (thread: string, event: string, who: Account = carol, node: ClusterNode = a) =>
      node.request(
        'POST',
        `${V3}/rooms/${enc(roomId)}/receipt/m.read/${enc(event)}`,
        { thread_id: thread },
        who.accessToken,
      );
    assert.equal((await receipt(root, aliceReply)).status, 200);
    const afterThread = await counts(carol);
    assert.equal(afterThread.unread_thread_notifications[root], undefined);
    assert.equal(afterThread.unread_thread_notifications[other].notification_count, 1);
    assert.equal(afterThread.unread_notifications.notification_count, 2);
    assert.equal((await receipt('main', other)).status, 200);
    assert.equal((await counts(carol)).unread_notifications.notification_count, 0);
    // A receipt naming the wrong thread is refused.
    assert.equal((await receipt(other, aliceReply)).status, 400);
    assert.equal((await receipt('main', bobReply)).status, 400);

    // Bob's threaded receipt reaches alice's server with its thread.
    assert.equal((await receipt(root, aliceReply, bob, b)).status, 200);
    await eventually(async () => {
      const body = await get(a, alice, `${V3}/sync`);
      const events = body.rooms.join[roomId].ephemeral.events;
      const read = events.find((e: Json) => e.type === 'm.receipt')?.content[aliceReply]?.['m.read']?.[
        bob.userId
      ];
      return read?.thread_id === root;
    }, "alice's server has bob's threaded receipt");

    // A reaction to a reply: found from the root only with recurse.
    const reaction = await send(b, bob, roomId, 'm.reaction', {
      'm.relates_to': { rel_type: 'm.annotation', event_id: bobReply, key: '👍' },
    });
    await eventually(async () => {
      const direct = await get(a, alice, `${V1}/rooms/${enc(roomId)}/relations/${enc(root)}`);
      const deep = await get(a, alice, `${V1}/rooms/${enc(roomId)}/relations/${enc(root)}?recurse=true`);
      const ids = deep.chunk.map((e: Json) => e.event_id);
      if (!ids.includes(reaction)) return undefined;
      assert.ok(!direct.chunk.some((e: Json) => e.event_id === reaction));
      assert.equal(direct.recursion_depth, undefined);
      assert.deepEqual(ids, [reaction, aliceReply, bobReply]);
      assert.equal(deep.recursion_depth, 2);
      return true;
    }, 'the reaction reaches a');
    assert.deepEqual([...a.problems, ...b.problems], []);
  });
});
