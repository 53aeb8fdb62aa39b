import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type Cluster,
  type Json,
  createFederatedCluster,
  eventually,
} from '../../support/federated-cluster.ts';
import { eventRowOf, roomTableNames } from '../../../src/core/rooms/federation-api.ts';
import type { ClusterNode } from '../../support/federated-cluster.ts';
import { EVENTS, ROOMS } from '../../../src/core/rooms/tables.ts';
import type { Store } from '../../../src/core/storage/port.ts';
import { wrappedWrites } from '../../support/wrapped-writes.ts';
import { createRoom, join, say, seesTexts, sync, texts, twoServerRoom } from './room-helpers.ts';

/** The event's prev_events as the node holds them. */
async function prevEventsOf(node: ClusterNode, eventId: string): Promise<string[]> {
  const row = await node.store.read(roomTableNames, (tx) => eventRowOf(tx, eventId));
  assert.ok(row, `${node.label} holds ${eventId}`);
  return row.pdu.prev_events;
}

/**
 * `store` counting, per write that puts a room row, the events asked by id
 * one by one (`count` of room_events with `equals`): the joined state's write.
 */
function countingJoinWrites(store: Store, writes: { asked: number }[]): Store {
  return wrappedWrites(store, (tx) => {
    let asked = 0;
    return {
      count: (table, query) => {
        if (table === EVENTS && query?.index === undefined && query?.equals !== undefined) asked++;
        return tx.count(table, query);
      },
      put: (table, row) => {
        // Read when the test asks, after the write: the room row goes before its events are asked.
        if (table === ROOMS)
          writes.push({
            get asked() {
              return asked;
            },
          });
        return tx.put(table, row);
      },
    };
  });
}

describe('room federation between two servers', () => {
  let cluster: Cluster;
  const joinWrites: { asked: number }[] = [];
  before(async () => {
    cluster = await createFederatedCluster(['a', 'b'], {
      wrapStore: (label, store) => (label === 'b' ? countingJoinWrites(store, joinWrites) : store),
    });
  });
  after(() => cluster.close());

  test('a user of B joins a room of A by room id (new to B: its state written without asking for its events one by one), and messages flow both ways', async () => {
    const a = cluster.node('a');
    const b = cluster.node('b');
    const alice = await a.register('alice');
    const bob = await b.register('bob');
    const roomId = await createRoom(a, alice, { preset: 'public_chat', name: 'Plaza' });
    joinWrites.length = 0;
    const joined = await join(b, bob, roomId, [a.serverName]);
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    assert.ok(joinWrites.length > 0, 'the join wrote its room');
    assert.deepEqual(
      joinWrites.map((w) => w.asked),
      joinWrites.map(() => 0),
    );
    await say(b, bob, roomId, 'hello from b');
    await seesTexts(a, alice, roomId, ['hello from b']);
    await say(a, alice, roomId, 'hello from a');
    await seesTexts(b, bob, roomId, ['hello from a']);
    assert.deepEqual([...a.problems, ...b.problems], []);
  });

  test('turn by turn, each message follows the one before it, whoever sent that one', async () => {
    const a = cluster.node('a');
    const b = cluster.node('b');
    const { alice, bob, roomId } = await twoServerRoom(a, b, ['carol', 'dave']);
    // A send right after one of our own is built without a read (room-writer.ts);
    // after the other server's message it must build on that one.
    let previous = await say(a, alice, roomId, 'turn 0');
    await seesTexts(b, bob, roomId, ['turn 0']);
    for (let i = 1; i <= 6; i++) {
      const [node, who, other, reader] = i % 3 === 0 ? [b, bob, a, alice] : [a, alice, b, bob];
      const id = await say(node, who, roomId, `turn ${i}`);
      assert.deepEqual(await prevEventsOf(node, id), [previous], `turn ${i} follows turn ${i - 1}`);
      await eventually(async () => (await texts(other, reader, roomId)).includes(`turn ${i}`), `turn ${i}`);
      previous = id;
    }
    assert.deepEqual([...a.problems, ...b.problems], []);
  });

  test('a burst of messages sent at once reaches the other server whole and in order', async () => {
    const a = cluster.node('a');
    const b = cluster.node('b');
    const { alice, bob, roomId } = await twoServerRoom(a, b, ['erin', 'frank']);
    const sent = Array.from({ length: 30 }, (_, i) => `burst ${i}`);
    // Sends queued while the sender is busy are handed over from memory (sender.ts).
    await Promise.all(sent.map((text) => say(a, alice, roomId, text)));
    const order = await texts(a, alice, roomId);
    await seesTexts(b, bob, roomId, order);
    assert.deepEqual(
      (await texts(b, bob, roomId)).filter((t) => t.startsWith('burst')),
      order,
    );
    assert.equal(new Set(order).size, sent.length);
    assert.deepEqual([...a.problems, ...b.problems], []);
  });
});

describe('invites across servers', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await createFederatedCluster(['a', 'b']);
  });
  after(() => cluster.close());

  test('an invited user of another server sees the invite in sync and joins', async () => {
    const a = cluster.node('a');
    const b = cluster.node('b');
    const alice = await a.register('alice');
    const bob = await b.register('bob');
    const roomId = await createRoom(a, alice, { preset: 'private_chat', name: 'Secret' });
    const invited = await a.request(
      'POST',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`,
      { user_id: bob.userId },
      alice.accessToken,
    );
    assert.equal(invited.status, 200);
    const invitedSync = await eventually(async () => {
      const body = await sync(b, bob);
      return body.rooms?.invite?.[roomId] ? body : undefined;
    }, 'the invite reaches bob');
    const state = invitedSync.rooms.invite[roomId].invite_state.events;
    assert.ok(state.some((e: Json) => e.type === 'm.room.name' && e.content.name === 'Secret'));
    assert.ok(
      state.some(
        (e: Json) =>
          e.type === 'm.room.member' && e.state_key === bob.userId && e.content.membership === 'invite',
      ),
    );
    assert.ok(
      state.some(
        (e: Json) =>
          e.type === 'm.room.member' && e.state_key === alice.userId && e.content.membership === 'join',
      ),
      "the inviter's member event, which clients name the invite after",
    );
    const joined = await join(b, bob, roomId, [a.serverName]);
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    // The next sync brings the joined room with all its state, as an initial sync would.
    const room = (await sync(b, bob, invitedSync.next_batch)).rooms.join[roomId];
    const types = new Set(
      [...room.state.events, ...room.timeline.events].map((e: Json) => `${e.type}|${e.state_key ?? ''}`),
    );
    for (const key of ['m.room.create|', 'm.room.power_levels|', 'm.room.history_visibility|']) {
      assert.ok(types.has(key), `${key} in the sync of the joined room`);
    }
    await say(b, bob, roomId, 'thanks for the invite');
    await seesTexts(a, alice, roomId, ['thanks for the invite']);
  });

  test('an invite from another server can be rejected', async () => {
    const a = cluster.node('a');
    const b = cluster.node('b');
    const alice = await a.register('alice2');
    const bob = await b.register('bob2');
    const roomId = await createRoom(a, alice, { preset: 'private_chat', invite: [bob.userId] });
    await eventually(async () => (await sync(b, bob)).rooms?.invite?.[roomId], 'the invite reaches bob');
    const left = await b.request(
      'POST',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/leave`,
      {},
      bob.accessToken,
    );
    assert.equal(left.status, 200, JSON.stringify(left.body));
    const after = await sync(b, bob);
    assert.equal(after.rooms?.invite?.[roomId], undefined);
    const member = await eventually(async () => {
      const res = await a.request(
        'GET',
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(bob.userId)}`,
        undefined,
        alice.accessToken,
      );
      return res.body.membership === 'leave' && res.body;
    }, 'alice sees the rejection');
    assert.equal(member.membership, 'leave');
  });
});

describe('ephemeral events across servers', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await createFederatedCluster(['a', 'b']);
  });
  after(() => cluster.close());

  test("typing and read receipts of one server reach the other server's clients", async () => {
    const a = cluster.node('a');
    const b = cluster.node('b');
    const { alice, bob, roomId } = await twoServerRoom(a, b);
    const eventId = await say(a, alice, roomId, 'read me');
    await seesTexts(b, bob, roomId, ['read me']);
    const room = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;
    const typing = await b.request(
      'PUT',
      `${room}/typing/${encodeURIComponent(bob.userId)}`,
      { typing: true, timeout: 20000 },
      bob.accessToken,
    );
    assert.equal(typing.status, 200);
    const typers = await eventually(async () => {
      const ephemeral = (await sync(a, alice)).rooms?.join?.[roomId]?.ephemeral?.events ?? [];
      return ephemeral.find((e: Json) => e.type === 'm.typing' && e.content.user_ids.includes(bob.userId));
    }, 'alice sees bob typing');
    assert.deepEqual(typers.content.user_ids, [bob.userId]);
    const receipt = await b.request(
      'POST',
      `${room}/receipt/m.read/${encodeURIComponent(eventId)}`,
      {},
      bob.accessToken,
    );
    assert.equal(receipt.status, 200);
    const receipts = await eventually(async () => {
      const ephemeral = (await sync(a, alice)).rooms?.join?.[roomId]?.ephemeral?.events ?? [];
      return ephemeral.find(
        (e: Json) => e.type === 'm.receipt' && e.content[eventId]?.['m.read']?.[bob.userId],
      );
    }, "alice sees bob's receipt");
    assert.ok(receipts.content[eventId]['m.read'][bob.userId].ts > 0);
    await b.request(
      'PUT',
      `${room}/typing/${encodeURIComponent(bob.userId)}`,
      { typing: false },
      bob.accessToken,
    );
    await eventually(async () => {
      const ephemeral = (await sync(a, alice)).rooms?.join?.[roomId]?.ephemeral?.events ?? [];
      return !ephemeral.some((e: Json) => e.type === 'm.typing' && e.content.user_ids.includes(bob.userId));
    }, 'bob stops typing');
  });

  test('messages from the other server arrive in a long-polling sync', async () => {
    const a = cluster.node('a');
    const b = cluster.node('b');
    const { alice, bob, roomId } = await twoServerRoom(a, b, ['alice3', 'bob3']);
    const first = await sync(b, bob);
    assert.ok(first.rooms.join[roomId], "the joined room is in bob's sync");
    const waiting = b.request(
      'GET',
      `/_matrix/client/v3/sync?since=${encodeURIComponent(first.next_batch)}&timeout=30000`,
      undefined,
      bob.accessToken,
    );
    const eventId = await say(a, alice, roomId, 'ping');
    const woken = await waiting;
    const timeline = woken.body.rooms?.join?.[roomId]?.timeline?.events ?? [];
    assert.ok(timeline.some((e: Json) => e.event_id === eventId));
  });
});

describe('a room joined over federation in sync', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await createFederatedCluster(['a', 'b']);
  });
  after(() => cluster.close());

  test('the joining user’s sync carries the room’s state from before the join (encryption, name)', async () => {
    const a = cluster.node('a');
    const b = cluster.node('b');
    const alice = await a.register('alice');
    const bob = await b.register('bob');
    const roomId = await createRoom(a, alice, {
      preset: 'public_chat',
      name: 'Vault',
      initial_state: [
        { type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } },
      ],
    });
    const before = await sync(b, bob);
    assert.equal((await join(b, bob, roomId, [a.serverName])).status, 200);
    const room = (await sync(b, bob, before.next_batch)).rooms.join[roomId];
    const types = [...room.state.events, ...room.timeline.events].map((e: Json) => e.type);
    for (const type of ['m.room.create', 'm.room.encryption', 'm.room.name', 'm.room.power_levels'])
      assert.ok(types.includes(type), `${type} in ${types.join(', ')}`);
  });

  test('the join undoes the forget, beside the members who joined meanwhile: leaving again shows in sync', async () => {
    const a = cluster.node('a');
    const b = cluster.node('b');
    const ann = await a.register('ann');
    const ben = await b.register('ben');
    const roomId = await createRoom(a, ann, { preset: 'public_chat' });
    const post = (who: typeof ben, what: string) =>
      b.request(
        'POST',
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/${what}`,
        {},
        who.accessToken,
      );
    assert.equal((await join(b, ben, roomId, [a.serverName])).status, 200);
    assert.equal((await post(ben, 'leave')).status, 200);
    assert.equal((await post(ben, 'forget')).status, 200);
    // B holds none of this: the state ben joins on brings two more members' joins with it.
    for (const name of ['carol', 'dave'])
      assert.equal((await join(a, await a.register(name), roomId)).status, 200);
    assert.equal((await join(b, ben, roomId, [a.serverName])).status, 200);
    const before = await sync(b, ben);
    assert.ok(before.rooms.join[roomId]);
    assert.equal((await post(ben, 'leave')).status, 200);
    const after = await sync(b, ben, before.next_batch);
    assert.ok(after.rooms?.leave?.[roomId], `left room in ${JSON.stringify(after.rooms)}`);
  });
});
