// The events of one received transaction are placed in one write
// transaction (receive-pdus.ts, rooms' remote-batch.ts), which reads what
// every event needs once, up front: these are the cases where an event of
// the batch changes what a later one of the same batch must see. A thread
// reply placed before its root marks the root, also from an earlier
// transaction (rooms' room_referenced); a redaction placed before
// its target prunes it, as does one waiting from an earlier transaction; forks leave both tips as forward extremities until
// an event names both. A transaction holding events placed before places
// the rest, and one holding only such events answers them, placing nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { JsonObject } from '../../../src/core/protocol.ts';
import { extremityIds, roomTableNames } from '../../../src/core/rooms/federation-api.ts';
import { searchRoomNumber } from '../../../src/core/rooms/search-index.ts';
import { eventsTable, searchRoomsTable } from '../../../src/core/rooms/tables.ts';
import { STREAM_TABLE, currentStreamPosition } from '../../../src/core/storage/stream.ts';
import {
  type Account,
  type ClusterNode,
  type Json,
  createFederatedCluster,
} from '../../support/federated-cluster.ts';
import { type Failing, failingPuts } from '../../support/failing-puts.ts';
import { type RoguePeer, rogueRoom } from './rogue-peer.ts';

type Cluster = Awaited<ReturnType<typeof createFederatedCluster>>;
const enc = encodeURIComponent;

describe('a transaction placed as one batch', () => {
  let cluster: Cluster;
  let a: ClusterNode;
  let alice: Account;
  let rogue: RoguePeer;
  let roomId: string;
  let mallory: string;
  let joinId: string;
  let auth: string[];
  let depth = 20;
  const failing: Failing = {};

  before(async () => {
    cluster = await createFederatedCluster(['a'], {
      wrapStore: (_label, store) => failingPuts(store, failing),
    });
    ({ node: a, alice, roomId, rogue, mallory, joinId, auth } = await rogueRoom(cluster));
  });
  after(() => cluster.close());

  /** A message-like event by mallory after `prev`; a lower `order` is placed first among siblings. */
  const event = (prev: readonly string[], fields: JsonObject, order = 0) =>
    rogue.event({
      room_id: roomId,
      type: 'm.room.message',
      sender: mallory,
      prev_events: [...prev],
      auth_events: auth,
      depth: depth + order,
      ...fields,
    });

  /** Sends the PDUs in one transaction; every one must be accepted. */
  async function sendAll(pdus: readonly JsonObject[]): Promise<void> {
    const res = await rogue.send(a.serverName, pdus);
    assert.equal(res.status, 200);
    const results = (res.body as JsonObject).pdus as Record<string, JsonObject>;
    assert.equal(Object.keys(results).length, pdus.length);
    for (const [id, result] of Object.entries(results)) assert.deepEqual(result, {}, id);
    depth += 10;
  }

  const get = async (path: string): Promise<Json> => {
    const res = await a.request('GET', path, undefined, alice.accessToken);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  /** Ids of the room's events a search for `term` finds, and of those its index still holds an entry of. */
  const searchFor = async (term: string): Promise<string[]> => {
    const res = await a.request(
      'POST',
      '/_matrix/client/v3/search',
      { search_categories: { room_events: { search_term: term } } },
      alice.accessToken,
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const indexed = await a.store.read([eventsTable.name, searchRoomsTable.name], async (tx) => {
      const r = await searchRoomNumber(tx, roomId);
      return r === undefined
        ? []
        : eventsTable.query(tx, {
            index: 'search',
            range: { lower: [r, term, 0], upper: [r, term, Number.MAX_SAFE_INTEGER] },
          });
    });
    return [
      ...res.body.search_categories.room_events.results.map((r: Json) => r.result.event_id),
      ...indexed.map((row) => `row at ${row.stream}`),
    ];
  };
  const extremities = () => a.store.read(roomTableNames, (tx) => extremityIds(tx, roomId));

  test('a thread reply placed before its root, in the same transaction, marks the root', async () => {
    // Siblings after the join: the reply (lower depth) is placed first.
    const root = await event([joinId], { content: { msgtype: 'm.text', body: 'root' } }, 1);
    const reply = await event(
      [joinId],
      {
        content: {
          msgtype: 'm.text',
          body: 'in the thread',
          'm.relates_to': { rel_type: 'm.thread', event_id: root.eventId },
        },
      },
      0,
    );
    const merge = await event(
      [reply.eventId, root.eventId],
      { content: { msgtype: 'm.text', body: 'm' } },
      2,
    );
    await sendAll([root.pdu, reply.pdu, merge.pdu]);
    const threads = await get(`/_matrix/client/v1/rooms/${enc(roomId)}/threads`);
    assert.deepEqual(
      threads.chunk.map((e: Json) => e.event_id),
      [root.eventId],
    );
    assert.equal(threads.chunk[0].unsigned['m.relations']['m.thread'].count, 1);
    joinId = merge.eventId;
  });

  test('a thread reply received in an earlier transaction than its root marks the root', async () => {
    const root = await event([joinId], { content: { msgtype: 'm.text', body: 'late root' } }, 1);
    const reply = await event(
      [joinId],
      {
        content: {
          msgtype: 'm.text',
          body: 'before the root',
          'm.relates_to': { rel_type: 'm.thread', event_id: root.eventId },
        },
      },
      0,
    );
    await sendAll([reply.pdu]);
    await sendAll([root.pdu]);
    const threads = await get(`/_matrix/client/v1/rooms/${enc(roomId)}/threads`);
    const listed = threads.chunk.find((e: Json) => e.event_id === root.eventId);
    assert.equal(listed?.unsigned['m.relations']['m.thread'].count, 1);
    const merge = await event(
      [reply.eventId, root.eventId],
      { content: { msgtype: 'm.text', body: 'm' } },
      2,
    );
    await sendAll([merge.pdu]);
    assert.deepEqual(await extremities(), [merge.eventId]);
    joinId = merge.eventId;
  });

  test('a redaction placed before its target, in the same transaction, prunes the target', async () => {
    const target = await event([joinId], { content: { msgtype: 'm.text', body: 'secret' } }, 1);
    const redaction = await event(
      [joinId],
      { type: 'm.room.redaction', redacts: target.eventId, content: { redacts: target.eventId } },
      0,
    );
    const merge = await event(
      [redaction.eventId, target.eventId],
      { content: { msgtype: 'm.text', body: 'm' } },
      2,
    );
    await sendAll([target.pdu, redaction.pdu, merge.pdu]);
    const pruned = await get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(target.eventId)}`);
    assert.deepEqual(pruned.content, {});
    assert.equal(pruned.unsigned.redacted_because.event_id, redaction.eventId);
    assert.deepEqual(await searchFor('secret'), [], 'the redacted text left the search index');
    joinId = merge.eventId;
  });

  test('a redaction placed after its target, in the same transaction, takes its text out of search', async () => {
    const target = await event([joinId], { content: { msgtype: 'm.text', body: 'classified' } });
    const redaction = await event(
      [target.eventId],
      { type: 'm.room.redaction', redacts: target.eventId, content: { redacts: target.eventId } },
      1,
    );
    await sendAll([target.pdu, redaction.pdu]);
    const pruned = await get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(target.eventId)}`);
    assert.deepEqual(pruned.content, {});
    assert.deepEqual(await searchFor('classified'), []);
    joinId = redaction.eventId;
  });

  test('a redaction received before its target, in an earlier transaction, prunes the target', async () => {
    const target = await event([joinId], { content: { msgtype: 'm.text', body: 'later secret' } }, 1);
    const redaction = await event(
      [joinId],
      { type: 'm.room.redaction', redacts: target.eventId, content: { redacts: target.eventId } },
      0,
    );
    await sendAll([redaction.pdu]);
    await sendAll([target.pdu]);
    const pruned = await get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(target.eventId)}`);
    assert.deepEqual(pruned.content, {});
    const merge = await event(
      [redaction.eventId, target.eventId],
      { content: { msgtype: 'm.text', body: 'm' } },
      2,
    );
    await sendAll([merge.pdu]);
    joinId = merge.eventId;
  });

  test('a fork in one transaction leaves both tips as forward extremities, the next event joins them', async () => {
    const left = await event([joinId], { content: { msgtype: 'm.text', body: 'left' } });
    const right = await event([joinId], { content: { msgtype: 'm.text', body: 'right' } });
    await sendAll([left.pdu, right.pdu]);
    assert.deepEqual(new Set(await extremities()), new Set([left.eventId, right.eventId]));
    const merge = await event([left.eventId, right.eventId], { content: { msgtype: 'm.text', body: 'm' } });
    const next = await event([merge.eventId], { content: { msgtype: 'm.text', body: 'next' } }, 1);
    await sendAll([next.pdu, merge.pdu]);
    assert.deepEqual(await extremities(), [next.eventId]);
    const messages = await get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=4`);
    const bodies = messages.chunk.map((e: Json) => e.content.body);
    assert.deepEqual(bodies.slice(0, 2), ['next', 'm']);
    assert.deepEqual(new Set(bodies.slice(2)), new Set(['left', 'right']));
  });

  // The batch's reads go out with the survey's as if every event were to do
  // (receive-pdus.ts); a batch holding some already is opened again for the
  // rest, one holding all is answered without placing anything.
  const counter = () => a.store.read([STREAM_TABLE], (tx) => currentStreamPosition(tx));
  const streamOf = async (eventId: string) =>
    (await a.store.read([eventsTable.name], (tx) => eventsTable.get(tx, eventId)))?.stream;
  const timeline = async (): Promise<string[]> =>
    (await get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=50`)).chunk.map(
      (e: Json) => e.event_id,
    );

  test('a transaction holding events placed before places the rest after them, each once', async () => {
    const first = await event([joinId], { content: { msgtype: 'm.text', body: 'first' } });
    await sendAll([first.pdu]);
    const placedAt = await streamOf(first.eventId);
    const tips = (await extremities()).filter((id) => id !== first.eventId);
    const before = await counter();
    const shown = await timeline();
    const second = await event([first.eventId], { content: { msgtype: 'm.text', body: 'second' } }, 1);
    const third = await event([second.eventId], { content: { msgtype: 'm.text', body: 'third' } }, 2);
    await sendAll([first.pdu, second.pdu, third.pdu]);
    assert.equal(await streamOf(first.eventId), placedAt);
    assert.equal(await streamOf(second.eventId), before + 1);
    assert.equal(await streamOf(third.eventId), before + 2);
    assert.equal(await counter(), before + 2);
    assert.deepEqual(new Set(await extremities()), new Set([...tips, third.eventId]));
    assert.deepEqual(await timeline(), [third.eventId, second.eventId, ...shown]);
    joinId = third.eventId;
  });

  test('a transaction of events all held answers each and writes nothing', async () => {
    const one = await event([joinId], { content: { msgtype: 'm.text', body: 'one' } });
    const two = await event([one.eventId], { content: { msgtype: 'm.text', body: 'two' } }, 1);
    await sendAll([one.pdu, two.pdu]);
    const before = await counter();
    const shown = await timeline();
    const streams = [await streamOf(one.eventId), await streamOf(two.eventId)];
    const tips = new Set(await extremities());
    assert.ok(tips.has(two.eventId));
    await sendAll([two.pdu, one.pdu]);
    assert.equal(await counter(), before);
    assert.deepEqual([await streamOf(one.eventId), await streamOf(two.eventId)], streams);
    assert.deepEqual(new Set(await extremities()), tips);
    assert.deepEqual(await timeline(), shown);
    joinId = two.eventId;
  });

  test("an event row's put failing while the batch's other writes go out keeps nothing of the event", async () => {
    const lost = await event([joinId], { content: { msgtype: 'm.text', body: 'lost' } });
    const before = await counter();
    const shown = await timeline();
    const tips = new Set(await extremities());
    // Every write of an event row fails: the batch's add, then the event's own put (placed one by one).
    Object.assign(failing, { table: eventsTable.name, key: 'event_id', times: Number.POSITIVE_INFINITY });
    const res = await rogue.send(a.serverName, [lost.pdu]);
    Object.assign(failing, { table: undefined });
    assert.equal(res.status, 200);
    assert.notDeepEqual((res.body as JsonObject).pdus, { [lost.eventId]: {} });
    assert.equal(await streamOf(lost.eventId), undefined);
    assert.equal(await counter(), before);
    assert.deepEqual(new Set(await extremities()), tips);
    assert.deepEqual(await timeline(), shown);
    // Sent again, it is placed at the position the failed write took.
    await sendAll([lost.pdu]);
    assert.equal(await streamOf(lost.eventId), before + 1);
    assert.deepEqual(await timeline(), [lost.eventId, ...shown]);
    joinId = lost.eventId;
  });
});
