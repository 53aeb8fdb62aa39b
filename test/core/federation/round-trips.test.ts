// How many round trips to the store placing a message from a peer makes
// (test/support/store-rounds.ts): the node reaches its store through the
// extension's row cache, as in the browser, where each request awaited on
// its own is a round trip from the worker to the storage process.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cachedHomeserverStore } from '../../../src/core/homeserver-store.ts';
import { SCHEMA } from '../../../src/core/schema.ts';
import {
  type Account,
  type ClusterNode,
  createFederatedCluster,
  eventually,
} from '../../support/federated-cluster.ts';
import { inRounds } from '../../support/store-rounds.ts';
import { join, say, seesTexts, twoServerRoom } from './room-helpers.ts';

type Cluster = Awaited<ReturnType<typeof createFederatedCluster>>;

describe('round trips of placing a message from a peer', () => {
  let cluster: Cluster;
  let a: ClusterNode;
  let b: ClusterNode;
  let alice: Account;
  let bob: Account;
  let roomId: string;
  const rounds: { rounds: number; events: boolean }[] = [];
  before(async () => {
    cluster = await createFederatedCluster(['a', 'b'], {
      wrapStore: (label, store) =>
        label === 'b' ? cachedHomeserverStore(inRounds(store, rounds), SCHEMA) : store,
    });
    a = cluster.node('a');
    b = cluster.node('b');
    ({ alice, bob, roomId } = await twoServerRoom(a, b));
  });
  after(() => cluster.close());

  test('the next message of a room: its writes in one round, its reads all from the cache', async () => {
    // The first messages read what the cache keeps (the room, its state, the auth events).
    for (let i = 0; i < 3; i++) {
      await say(a, alice, roomId, `warm ${i}`);
      await seesTexts(b, bob, roomId, [`warm ${i}`]);
    }
    rounds.length = 0;
    await say(a, alice, roomId, 'the next message');
    await seesTexts(b, bob, roomId, ['the next message']);
    // Its own row is presumed not held, not read (receive-pdus.ts surveyAndPlace); it is added.
    assert.deepEqual(
      rounds.filter((r) => r.events),
      [{ rounds: 1, events: true }],
    );
  });

  test("a peer's member event: its membership's requests beside the current state's", async () => {
    const carol = await a.register('carol');
    rounds.length = 0;
    const joined = await join(a, carol, roomId);
    assert.equal(joined.status, 200);
    // Seen by a read only once committed: the write's rounds are all counted by then.
    const member = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(carol.userId)}`;
    await eventually(
      async () => (await b.request('GET', member, undefined, bob.accessToken)).status === 200,
      "B places carol's join",
    );
    // Its state group (its number goes in the rows; the room's rows the cache has; the event's own
    // row is presumed absent, not read: it is added); the event,
    // the current state and the member row's read; the member row with the forgotten row's delete
    // (one round less); the room, the counter and the extremities.
    assert.deepEqual(
      rounds.filter((r) => r.events),
      [{ rounds: 4, events: true }],
    );
  });
});
