import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type Account,
  type Cluster,
  type ClusterNode,
  createFederatedCluster,
  eventually,
} from '../../support/federated-cluster.ts';
import {
  createRoom,
  join,
  putState,
  say,
  seesTexts,
  serverState,
  texts,
  twoServerRoom,
} from './room-helpers.ts';

const enc = encodeURIComponent;

/** Alice on A creates a public room; bob (B) and carol (C) join it through A. */
async function threeServerRoom(nodes: readonly ClusterNode[]) {
  const [a, b, c] = nodes as [ClusterNode, ClusterNode, ClusterNode];
  const alice = await a.register('alice');
  const bob = await b.register('bob');
  const carol = await c.register('carol');
  const roomId = await createRoom(a, alice, { preset: 'public_chat' });
  for (const [node, who] of [
    [b, bob],
    [c, carol],
  ] as const) {
    const res = await join(node, who, roomId, [a.serverName]);
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }
  // Everyone has seen everyone's join before the test starts.
  for (const [node, who] of [
    [a, alice],
    [b, bob],
    [c, carol],
  ] as const) {
    await eventually(async () => {
      const res = await node.request(
        'GET',
        `/_matrix/client/v3/rooms/${enc(roomId)}/joined_members`,
        undefined,
        who.accessToken,
      );
      return Object.keys(res.body.joined ?? {}).length === 3;
    }, 'three members everywhere');
  }
  return { roomId, alice, bob, carol };
}

/** Waits until every server holds the same current state (event ids), and returns it. */
async function sameState(nodes: readonly ClusterNode[], roomId: string) {
  return eventually(async () => {
    const states = await Promise.all(nodes.map((node) => serverState(node, roomId)));
    const first = JSON.stringify(states[0]);
    return states.every((s) => JSON.stringify(s) === first) && states[0];
  }, 'identical current state on every server');
}

describe('catch-up after partitions', () => {
  test('concurrent state changes on both sides of a partition resolve to the same state everywhere', async () => {
    const cluster = await createFederatedCluster(['a', 'b', 'c']);
    try {
      const [a, b, c] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
      const { roomId, alice, bob, carol } = await threeServerRoom(cluster.nodes);
      // Alice created the room (room version 12: infinite power, never listed); Bob is an admin.
      const levels = { users: { [bob.userId]: 100 } };
      await putState(a, alice, roomId, 'm.room.power_levels', levels);
      await sameState([a, b, c], roomId);

      cluster.network.disconnect(a.serverName);
      const topicId = await putState(a, alice, roomId, 'm.room.topic', { topic: 'from A' });
      const plId = await putState(b, bob, roomId, 'm.room.power_levels', {
        users: { ...levels.users, [carol.userId]: 50 },
      });
      cluster.network.reconnect(a.serverName);

      const state = await sameState([a, b, c], roomId);
      assert.equal(state['m.room.topic|'], topicId);
      assert.equal(state['m.room.power_levels|'], plId);
    } finally {
      await cluster.close();
    }
  });

  test('a server that was offline gets what it missed from a third server when the sender is gone', async () => {
    const cluster = await createFederatedCluster(['a', 'b', 'c']);
    try {
      const [a, b, c] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
      const { roomId, alice, bob, carol } = await threeServerRoom(cluster.nodes);
      cluster.network.disconnect(c.serverName);
      const missed = ['one', 'two', 'three', 'four', 'five'];
      for (const text of missed) await say(a, alice, roomId, text);
      await seesTexts(b, bob, roomId, missed);
      cluster.network.disconnect(a.serverName);
      cluster.network.reconnect(c.serverName);
      const seen = await seesTexts(c, carol, roomId, missed);
      assert.deepEqual(seen.slice(-5), missed);
      await say(c, carol, roomId, 'back again');
      await seesTexts(b, bob, roomId, ['back again']);
    } finally {
      await cluster.close();
    }
  });

  /**
   * A on a ten-minute backoff for B: `outage` keeps B from answering while
   * alice sends, `back` ends it and makes A hear of it somehow, and bob must
   * then see alice's message long before the backoff would have let A retry.
   */
  async function backoffCutShort(
    outage: (cluster: Cluster, b: ClusterNode) => void,
    back: (cluster: Cluster, b: ClusterNode, bob: Account, roomId: string) => Promise<unknown>,
  ) {
    const backoff = { minMs: 600_000, maxMs: 600_000 };
    const cluster = await createFederatedCluster(['a', 'b'], { federation: { backoff } });
    try {
      const [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
      const { alice, bob, roomId } = await twoServerRoom(a, b);
      outage(cluster, b);
      await say(a, alice, roomId, 'while you were away');
      await eventually(
        async () => a.federation.senderState(b.serverName) === 'backing-off',
        'a failed attempt',
      );
      await back(cluster, b, bob, roomId);
      await seesTexts(b, bob, roomId, ['while you were away']);
    } finally {
      await cluster.close();
    }
  }

  test('a queue held back by a long backoff is sent the moment the peer is up again', () =>
    backoffCutShort(
      (cluster, b) => cluster.network.disconnect(b.serverName),
      async (cluster, b) => cluster.network.reconnect(b.serverName),
    ));

  test('a queue held back by a long backoff is sent the moment the stalled peer is heard from again', () =>
    backoffCutShort(
      // B stops answering while its connection stays up: no "up" will say it is back...
      (cluster, b) => cluster.network.stall(b.serverName),
      // ...but bob's message reaching A is A's news that B is back.
      async (cluster, b, bob, roomId) => {
        cluster.network.unstall(b.serverName);
        await say(b, bob, roomId, 'back');
      },
    ));

  /**
   * Alice's message reaches B but not C, and A leaves the network; bob's next
   * message then reaches C while B answers nothing C asks (the message it
   * follows). Retries are a second apart. `then` goes on from there.
   */
  async function followsWhatCLacks(
    then: (cluster: Cluster, nodes: readonly ClusterNode[], roomId: string, carol: Account) => Promise<void>,
  ) {
    const backoff = { minMs: 1_000, maxMs: 1_000 };
    const cluster = await createFederatedCluster(['a', 'b', 'c'], { federation: { backoff } });
    try {
      const [a, b, c] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
      const { roomId, alice, bob, carol } = await threeServerRoom(cluster.nodes);
      cluster.network.stall(c.serverName);
      await say(a, alice, roomId, 'first');
      await seesTexts(b, bob, roomId, ['first']);
      await eventually(async () => a.federation.senderState(c.serverName) === 'backing-off', 'A failed C');
      cluster.network.disconnect(a.serverName);
      cluster.network.unstall(c.serverName);
      cluster.network.stall(b.serverName);
      await say(b, bob, roomId, 'second');
      await then(cluster, cluster.nodes, roomId, carol);
    } finally {
      await cluster.close();
    }
  }

  test('events whose origin did not answer for what they lack are sent again and placed, not dropped', () =>
    followsWhatCLacks(async (cluster, [, b, c], roomId, carol) => {
      // C had B send the transaction again...
      await eventually(
        async () => b!.federation.senderState(c!.serverName) === 'backing-off',
        'C asked again',
      );
      // ...and once B answers, C has both messages.
      cluster.network.unstall(b!.serverName);
      await seesTexts(c!, carol, roomId, ['first', 'second']);
    }));

  test('a transaction is sent again a few times at most: then its events are dropped, and the sender’s queue goes on', () =>
    followsWhatCLacks(async (_cluster, [, b, c], roomId, carol) => {
      // B never answers: after three "send again", C takes the transaction, and B's queue is free.
      await eventually(
        async () => b!.federation.senderState(c!.serverName) === 'backing-off',
        'C asked again',
      );
      await eventually(
        async () => b!.federation.senderState(c!.serverName) === 'idle',
        'the transaction taken',
        20_000,
      );
      assert.ok(!(await texts(c!, carol, roomId)).includes('second'));
    }));
});

describe('the outbox', () => {
  test('what was queued for an offline peer survives a restart and is delivered when the peer is back', async () => {
    const cluster = await createFederatedCluster(['a', 'b']);
    try {
      const [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
      const { alice, bob, roomId } = await twoServerRoom(a, b);
      cluster.network.disconnect(b.serverName);
      await say(a, alice, roomId, 'queued before the crash');
      await eventually(
        async () => a.federation.senderState(b.serverName) === 'backing-off',
        'a failed attempt',
      );
      const restarted = await cluster.restart('a');
      cluster.network.reconnect(b.serverName);
      await seesTexts(b, bob, roomId, ['queued before the crash']);
      await say(b, bob, roomId, 'welcome back');
      await seesTexts(restarted, alice, roomId, ['welcome back']);
    } finally {
      await cluster.close();
    }
  });

  test('delivered messages leave the outbox; a crash before their rows are gone shows nothing twice', async () => {
    const cluster = await createFederatedCluster(['a', 'b']);
    try {
      const [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
      const { alice, bob, roomId } = await twoServerRoom(a, b);
      const outboxRows = (node: ClusterNode) =>
        node.store.read(['fed_outbox'], (tx) => tx.count('fed_outbox'));
      // One after the other: each send's write deletes the rows of the one delivered before it.
      for (const text of ['one', 'two', 'three']) {
        await say(a, alice, roomId, text);
        await seesTexts(b, bob, roomId, [text]);
      }
      await eventually(async () => (await outboxRows(a)) === 0, 'an empty outbox once all is delivered');
      // Delivered, its row maybe not yet deleted: the restarted node may send it again, as the same event.
      await say(a, alice, roomId, 'just before the crash');
      await seesTexts(b, bob, roomId, ['just before the crash']);
      const restarted = await cluster.restart('a');
      await say(restarted, alice, roomId, 'after the crash');
      await seesTexts(b, bob, roomId, ['after the crash']);
      const seen = await texts(b, bob, roomId);
      for (const text of ['one', 'two', 'three', 'just before the crash', 'after the crash'])
        assert.equal(seen.filter((t) => t === text).length, 1, text);
      await eventually(async () => (await outboxRows(restarted)) === 0, 'an empty outbox after the restart');
    } finally {
      await cluster.close();
    }
  });
});

describe('soft failure', () => {
  test('a message sent during a partition by a user banned meanwhile never reaches the timeline', async () => {
    const cluster = await createFederatedCluster(['a', 'b']);
    try {
      const [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
      const { alice, bob, roomId } = await twoServerRoom(a, b);
      await say(b, bob, roomId, 'hi');
      await seesTexts(a, alice, roomId, ['hi']);
      cluster.network.disconnect(b.serverName);
      const ban = await a.request(
        'POST',
        `/_matrix/client/v3/rooms/${enc(roomId)}/ban`,
        { user_id: bob.userId },
        alice.accessToken,
      );
      assert.equal(ban.status, 200);
      await say(b, bob, roomId, 'sneaky');
      cluster.network.reconnect(b.serverName);
      const state = await sameState([a, b], roomId);
      const member = await a.request(
        'GET',
        `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(bob.userId)}`,
        undefined,
        alice.accessToken,
      );
      assert.equal(member.body.membership, 'ban');
      assert.ok(state[`m.room.member|${bob.userId}`]);
      await say(a, alice, roomId, 'after the ban');
      const seen = await seesTexts(b, bob, roomId, ['sneaky']);
      assert.ok(seen.includes('sneaky'));
      assert.ok(!(await texts(a, alice, roomId)).includes('sneaky'));
    } finally {
      await cluster.close();
    }
  });
});
