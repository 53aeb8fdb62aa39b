// How many round trips to the store a local send's write makes. In a
// browser each request awaited on its own is a round trip from the worker
// to the browser's storage process, while requests issued together go in
// one; so a write's requests that do not depend on each other must go out
// together. The store here answers requests in rounds, as that process
// does: the requests issued until the round is answered go in it, those
// issued after in the next; the rooms reach it through the extension's row
// cache (homeserver-store.ts), as in the browser.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cachedHomeserverStore } from '../../../src/core/homeserver-store.ts';
import { SCHEMA } from '../../../src/core/schema.ts';
import { inRounds } from '../../support/store-rounds.ts';
import { type Harness, path, startHarness } from './harness.ts';

describe('round trips of a write', () => {
  let hs: Harness;
  let alice: string;
  let roomId: string;
  const rounds: { rounds: number; events: boolean }[] = [];
  before(async () => {
    hs = await startHarness({ wrap: (store) => cachedHomeserverStore(inRounds(store, rounds), SCHEMA) });
    alice = hs.user('alice');
    roomId = await hs.createRoom(alice, { preset: 'public_chat' });
  });
  after(() => hs.close());

  const send = (txnId: string, body: string) =>
    hs.request('PUT', path`/_matrix/client/v3/rooms/${roomId}/send/m.room.message/${txnId}`, {
      as: alice,
      body: { msgtype: 'm.text', body },
    });

  test("a message sent after the sender's own: one round, its reads from memory beside its writes", async () => {
    // The first sends read what the cache keeps (the room, its state, the room's search number).
    for (let i = 0; i < 3; i++) assert.equal((await send(`warm-${i}`, `hello ${i}`)).status, 200);
    rounds.length = 0;
    assert.equal((await send('m', 'the eleven words of a message sent from one browser')).status, 200);
    // The extremities and the counter are what the last send committed (the row cache learnt them):
    // the txn id's check goes out with the counter, extremities, txn id and event's writes.
    assert.deepEqual(rounds, [{ rounds: 1, events: true }]);
  });

  test('a state event: its new state group, then its writes', async () => {
    const topic = (text: string) =>
      hs.request('PUT', path`/_matrix/client/v3/rooms/${roomId}/state/m.room.topic/`, {
        as: alice,
        body: { topic: text },
      });
    assert.equal((await topic('first')).status, 200);
    rounds.length = 0;
    assert.equal((await topic('second')).status, 200);
    // The group it follows is the last topic's, learnt by the row cache with the number the store
    // gave it; the new group's number (auto-increment) goes in the event's row and the room's.
    assert.deepEqual(rounds, [{ rounds: 2, events: true }]);
  });
});
