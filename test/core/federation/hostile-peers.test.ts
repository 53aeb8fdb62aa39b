import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FederationResponse } from '../../../src/core/federation/transport.ts';
import { defaultInboundLimits } from '../../../src/core/federation/inbound/inbound-deps.ts';
import type { JsonObject } from '../../../src/core/protocol.ts';
import {
  type Account,
  type Cluster,
  type ClusterNode,
  type Json,
  createFederatedCluster,
} from '../../support/federated-cluster.ts';
import { say, seesTexts, sync, twoServerRoom } from './room-helpers.ts';
import { type RoguePeer, roguePeer, roomFacts } from './rogue-peer.ts';

const enc = encodeURIComponent;

/** Every event id in a user's sync, in any section. */
function eventIdsIn(body: Json): Set<string> {
  const ids = new Set<string>();
  const walk = (value: Json) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      if (typeof value.event_id === 'string') ids.add(value.event_id);
      Object.values(value).forEach(walk);
    }
  };
  walk(body);
  return ids;
}

describe('hostile peers', () => {
  let cluster: Cluster;
  let a: ClusterNode;
  let b: ClusterNode;
  let alice: Account;
  let bob: Account;
  let roomId: string;
  let rogue: RoguePeer;

  before(async () => {
    cluster = await createFederatedCluster(['a', 'b'], {
      federation: {
        inbound: {
          ...defaultInboundLimits,
          missingEventsPerRequest: 50,
          maxGapEvents: 120,
          maxStateFetch: 100,
        },
      },
    });
    [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
    ({ alice, bob, roomId } = await twoServerRoom(a, b));
    await say(b, bob, roomId, 'bob is here');
    await seesTexts(a, alice, roomId, ['bob is here']);
    rogue = await roguePeer(cluster);
  });
  after(() => cluster.close());

  test('forged events are rejected with a reason and reach no client', async () => {
    const facts = await roomFacts(a, alice.accessToken, roomId);
    const mallory = rogue.user('mallory');
    const base = { room_id: roomId, type: 'm.room.message', prev_events: [facts.latest], depth: 50 };
    const authEvents = [facts.create, facts.powerLevels];
    // Not joined, but otherwise a fine event: fails the auth rules.
    const unauthorised = await rogue.event({
      ...base,
      sender: mallory,
      auth_events: authEvents,
      content: { body: 'let me in' },
    });
    // Claims to come from alice, but only the rogue signed it.
    const impostor = await rogue.event({
      ...base,
      sender: alice.userId,
      auth_events: [...authEvents, facts.member(alice.userId)!],
      content: { body: 'I am alice' },
    });
    // A signature that does not verify.
    const garbled = await rogue.event({
      ...base,
      sender: mallory,
      auth_events: authEvents,
      content: { body: 'x' },
    });
    const signatures = { [rogue.serverName]: { 'ed25519:p2p': 'A'.repeat(86) } };
    const badSignature = { ...garbled.pdu, signatures };
    // An origin field naming another server than the sender's.
    const wrongOrigin = await rogue.event({
      ...base,
      sender: mallory,
      origin: a.serverName,
      auth_events: authEvents,
    });
    // A state change by someone not in the room.
    const topic = await rogue.event({
      ...base,
      type: 'm.room.topic',
      state_key: '',
      sender: mallory,
      auth_events: authEvents,
      content: { topic: 'pwned' },
    });
    const pdus = [unauthorised.pdu, impostor.pdu, badSignature, wrongOrigin.pdu, topic.pdu];
    for (const node of [a, b]) {
      const res = await rogue.send(node.serverName, pdus);
      assert.equal(res.status, 200);
      const results = (res.body as JsonObject).pdus as Record<string, { error?: string }>;
      assert.match(results[unauthorised.eventId]?.error ?? '', /rejected: [45]:/);
      assert.match(results[impostor.eventId]?.error ?? '', /^2: .*signature/);
      assert.match(results[garbled.eventId]?.error ?? '', /^2: bad signature/);
      assert.match(results[wrongOrigin.eventId]?.error ?? '', /^1: origin/);
      assert.match(results[topic.eventId]?.error ?? '', /rejected: [45]:/);
    }
    const forged = [unauthorised, impostor, garbled, wrongOrigin, topic].map((e) => e.eventId);
    for (const [node, who] of [
      [a, alice],
      [b, bob],
    ] as const) {
      const seen = eventIdsIn(await sync(node, who));
      for (const id of forged) assert.ok(!seen.has(id), `${id} reached ${who.userId}'s sync`);
      const event = await node.request(
        'GET',
        `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(unauthorised.eventId)}`,
        undefined,
        who.accessToken,
      );
      assert.equal(event.status, 404);
      const topicNow = await node.request(
        'GET',
        `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.topic/`,
        undefined,
        who.accessToken,
      );
      assert.notEqual(topicNow.body.topic, 'pwned');
    }
  });

  test('typing and receipts a server sends for users that are not its own, or about rooms it is not in, are ignored', async () => {
    const facts = await roomFacts(a, alice.accessToken, roomId);
    const typing = (userId: string) => ({
      edu_type: 'm.typing',
      content: { room_id: roomId, user_id: userId, typing: true },
    });
    const receipt = (userId: string) => ({
      edu_type: 'm.receipt',
      content: { [roomId]: { 'm.read': { [userId]: { event_ids: [facts.latest], data: { ts: 1 } } } } },
    });
    const mallory = rogue.user('mallory');
    const res = await rogue.send(
      a.serverName,
      [],
      [typing(bob.userId), typing(mallory), receipt(bob.userId), receipt(mallory)],
    );
    assert.equal(res.status, 200);
    const ephemeral = (await sync(a, alice)).rooms.join[roomId].ephemeral.events as Json[];
    assert.ok(!ephemeral.some((e) => e.type === 'm.typing' && e.content.user_ids.length > 0));
    const receipts = ephemeral.filter((e) => e.type === 'm.receipt').map((e) => JSON.stringify(e.content));
    assert.ok(receipts.every((r) => !r.includes(bob.userId) && !r.includes(mallory)));
  });

  test('a transaction claiming another origin is refused', async () => {
    const res = await rogue.send(a.serverName, [], [], { origin: b.serverName });
    assert.equal(res.status, 403);
    const spoofed = await rogue.transport.request(a.serverName, {
      method: 'PUT',
      path: '/_matrix/federation/v1/send/spoof',
      origin: b.serverName,
      body: { origin: b.serverName, pdus: [] },
    });
    assert.equal(spoofed.status, 401);
  });

  test('malformed and oversized transactions are refused with reasons, and traffic goes on', async () => {
    const junk = await rogue.send(
      a.serverName,
      [42, 'x', null, {}, { room_id: roomId, type: 7 }],
      [7, { edu_type: 'm.typing' }],
    );
    assert.equal(junk.status, 200);
    assert.deepEqual((junk.body as JsonObject).pdus, {});
    const tooMany = await rogue.send(a.serverName, new Array(51).fill({}));
    assert.equal(tooMany.status, 400);
    assert.match(String((tooMany.body as JsonObject).error), /51 PDUs/);
    const tooManyEdus = await rogue.send(a.serverName, [], new Array(101).fill({}));
    assert.equal(tooManyEdus.status, 400);
    const notArrays = await rogue.send(a.serverName, [], [], { pdus: 'many' });
    assert.equal(notArrays.status, 400);
    await say(b, bob, roomId, 'still talking');
    await seesTexts(a, alice, roomId, ['still talking']);
  });

  test('an endless chain of missing prev events is cut off', async () => {
    const facts = await roomFacts(a, alice.accessToken, roomId);
    const mallory = rogue.user('mallory');
    // A chain longer than the receiver's gap limit, each event on the one before.
    const chain: { pdu: JsonObject; eventId: string }[] = [];
    let prev = '$' + 'A'.repeat(43);
    for (let i = 0; i < 200; i++) {
      const event = await rogue.event({
        room_id: roomId,
        type: 'm.room.message',
        sender: mallory,
        prev_events: [prev],
        auth_events: [facts.create, facts.powerLevels],
        depth: 1_000_000 + i,
        content: { body: `link ${i}` },
      });
      chain.push(event);
      prev = event.eventId;
    }
    const byId = new Map(chain.map((e, i) => [e.eventId, i]));
    let asked = 0;
    rogue.serve(async (_from, req): Promise<FederationResponse> => {
      if (!req.path.includes('get_missing_events'))
        return { status: 404, body: { errcode: 'M_NOT_FOUND', error: 'no' } };
      asked += 1;
      const body = req.body as { latest_events: string[]; limit: number };
      const newest = Math.min(...body.latest_events.map((id) => byId.get(id) ?? 0));
      const events = chain.slice(Math.max(0, newest - body.limit), newest).map((e) => e.pdu);
      return { status: 200, body: { events } };
    });
    const tip = chain[chain.length - 1]!;
    const res = await rogue.send(a.serverName, [tip.pdu]);
    assert.equal(res.status, 200);
    const error = ((res.body as JsonObject).pdus as Record<string, { error?: string }>)[tip.eventId]?.error;
    assert.match(error ?? '', /dropped|rejected/);
    assert.ok(asked <= 3, `asked ${asked} times`);
    const seen = eventIdsIn(await sync(a, alice));
    assert.ok(!seen.has(tip.eventId));
    await say(b, bob, roomId, 'after the chain');
    await seesTexts(a, alice, roomId, ['after the chain']);
  });
});
