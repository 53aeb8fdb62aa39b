// A local send issues its writes without awaiting each (storage/issued.ts:
// the stream counter's put goes out with the reads, the current state's with
// the state group's, all awaited at the end). These are the failure paths
// of that style, over Dexie (through the extension's row cache) and SQLite:
// a put that fails while not awaited yet fails the whole write and leaves
// nothing of it; a send refused after the counter's put (the auth rules, in
// the same transaction) leaves the counter as it was, so the next event
// takes the position the refused one would have had.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cachedHomeserverStore } from '../../../src/core/homeserver-store.ts';
import { SCHEMA } from '../../../src/core/schema.ts';
import { STREAM_TABLE, currentStreamPosition } from '../../../src/core/storage/stream.ts';
import { eventsTable } from '../../../src/core/rooms/tables.ts';
import { type Failing, failingPuts } from '../../support/failing-puts.ts';
import { type Harness, path, startHarness } from './harness.ts';

for (const kind of ['dexie', 'sqlite'] as const) {
  describe(`writes issued together, their failures (${kind})`, () => {
    let hs: Harness;
    let alice: string;
    let bob: string;
    let roomId: string;
    const failing: Failing = {};
    before(async () => {
      hs = await startHarness({
        kind,
        wrap: (store) => cachedHomeserverStore(failingPuts(store, failing), SCHEMA),
      });
      alice = hs.user('alice');
      bob = hs.user('bob');
      roomId = await hs.createRoom(alice, { preset: 'public_chat' });
      await hs.join(roomId, bob);
    });
    after(() => hs.close());

    const counter = () => hs.store.read([STREAM_TABLE], (tx) => currentStreamPosition(tx));
    const streamOf = async (eventId: string) =>
      (await hs.store.read([eventsTable.name], (tx) => eventsTable.get(tx, eventId)))?.stream;
    const send = (as: string, txnId: string, body: string) =>
      hs.request('PUT', path`/_matrix/client/v3/rooms/${roomId}/send/m.room.message/${txnId}`, {
        as,
        body: { msgtype: 'm.text', body },
      });
    const topic = (as: string, text: string) =>
      hs.request('PUT', path`/_matrix/client/v3/rooms/${roomId}/state/m.room.topic/`, {
        as,
        body: { topic: text },
      });
    /** The ids of the room's timeline, newest first. */
    const timeline = async (): Promise<string[]> => {
      const res = await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/messages`, {
        as: alice,
        query: { dir: 'b', limit: '50' },
      });
      assert.equal(res.status, 200);
      return res.body.chunk.map((e: { event_id: string }) => e.event_id);
    };
    const topicNow = async () =>
      (await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/state/m.room.topic/`, { as: alice }))
        .body.topic;

    test("the counter's put failing while the event's writes go out fails the send; nothing of it is kept", async () => {
      const before = await counter();
      const shown = await timeline();
      Object.assign(failing, { table: STREAM_TABLE, key: 'name', times: 1 });
      const refused = await send(alice, 'lost', 'never kept');
      assert.notEqual(refused.status, 200);
      assert.equal(failing.table, undefined, 'the put was made');
      assert.equal(await counter(), before);
      assert.deepEqual(await timeline(), shown);
      // The txn id was not kept either: sent again, it makes the event, at the position the failed one took.
      const again = await send(alice, 'lost', 'kept now');
      assert.equal(again.status, 200);
      assert.equal(await streamOf(again.body.event_id), before + 1);
      assert.equal(await counter(), before + 1);
      assert.deepEqual(await timeline(), [again.body.event_id, ...shown]);
    });

    test("a state event's current state put failing fails the event: the state, the counter, the timeline as before", async () => {
      assert.equal((await topic(alice, 'first')).status, 200);
      const before = await counter();
      const shown = await timeline();
      Object.assign(failing, { table: 'room_current_state', key: 'room_id', times: 1 });
      const refused = await topic(alice, 'second');
      assert.notEqual(refused.status, 200);
      assert.equal(failing.table, undefined, 'the put was made');
      assert.equal(await topicNow(), 'first');
      assert.equal(await counter(), before);
      assert.deepEqual(await timeline(), shown);
      const again = await topic(alice, 'second');
      assert.equal(again.status, 200);
      assert.equal(await topicNow(), 'second');
      assert.equal(await streamOf(again.body.event_id), before + 1);
      assert.deepEqual(await timeline(), [again.body.event_id, ...shown]);
    });

    test('a send the auth rules refuse after the counter was put leaves the counter: the next event takes its position', async () => {
      const before = await counter();
      const shown = await timeline();
      // Bob is joined (the route lets him through) but below the topic's power level: persistEvent refuses it.
      const refused = await topic(bob, 'not allowed');
      assert.equal(refused.status, 403);
      assert.match(refused.body.error, /auth rules reject/);
      assert.equal(await counter(), before);
      assert.deepEqual(await timeline(), shown);
      const next = await send(bob, 'after-refusal', 'allowed');
      assert.equal(next.status, 200);
      assert.equal(await streamOf(next.body.event_id), before + 1);
      const then = await send(alice, 'after-that', 'and the next');
      assert.equal(await streamOf(then.body.event_id), before + 2);
      assert.equal(await counter(), before + 2);
      assert.deepEqual(await timeline(), [then.body.event_id, next.body.event_id, ...shown]);
    });
  });
}
