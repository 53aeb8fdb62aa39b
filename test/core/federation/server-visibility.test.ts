// History visibility for the servers that fetch a room's past from us
// (`/backfill`, `/get_missing_events`, `/event`): each event is served as
// the requesting server may see it, whole while one of its users was joined
// (or invited, under `invited`) or the room's history is shared, pruned by
// the redaction algorithm otherwise, as Synapse's filter_events_for_server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type Account,
  type Cluster,
  type ClusterNode,
  createFederatedCluster,
  type Json,
} from '../../support/federated-cluster.ts';
import { createRoom, join, putState, say } from './room-helpers.ts';

const V1 = '/_matrix/federation/v1';
const enc = encodeURIComponent;

/** A federation request from `from`'s server to `to`, as a peer makes it. */
async function fedRequest(from: ClusterNode, to: ClusterNode, method: string, path: string, extra = {}) {
  const res = await from.transport.request(to.serverName, {
    method,
    path,
    origin: from.serverName,
    ...extra,
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as Json;
}

describe('history served to other servers follows history visibility', () => {
  let cluster: Cluster;
  let a: ClusterNode;
  let b: ClusterNode;
  let c: ClusterNode;
  let alice: Account;
  let roomId: string;
  const ids: Record<string, string> = {};

  before(async () => {
    cluster = await createFederatedCluster(['a', 'b', 'c']);
    [a, b, c] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
    alice = await a.register('alice');
    const bob = await b.register('bob');
    const carol = await c.register('carol');
    roomId = await createRoom(a, alice, { preset: 'public_chat', name: 'Members only' });
    ids.shared = await say(a, alice, roomId, 'said while shared');
    await putState(a, alice, roomId, 'm.room.history_visibility', { history_visibility: 'joined' });
    ids.beforeBob = await say(a, alice, roomId, 'before bob came');
    assert.equal((await join(b, bob, roomId, [a.serverName])).status, 200);
    ids.withBob = await say(a, alice, roomId, 'while bob is in');
    await putState(a, alice, roomId, 'm.room.history_visibility', { history_visibility: 'invited' });
    const invite = await a.request(
      'POST',
      `/_matrix/client/v3/rooms/${enc(roomId)}/invite`,
      { user_id: carol.userId },
      alice.accessToken,
    );
    assert.equal(invite.status, 200, JSON.stringify(invite.body));
    ids.carolInvited = await say(a, alice, roomId, 'while carol is invited');
    assert.equal((await join(c, carol, roomId, [a.serverName])).status, 200);
    ids.last = await say(a, alice, roomId, 'everyone is here');
  });
  after(() => cluster.close());

  /** What `/backfill` from the last event gives `node`'s server: message body (or undefined, pruned) by name. */
  async function backfilled(node: ClusterNode): Promise<Record<string, string | undefined>> {
    const body = await fedRequest(node, a, 'GET', `${V1}/backfill/${enc(roomId)}`, {
      query: { v: ids.last!, limit: '50' },
    });
    assert.ok(
      body.pdus.some((p: Json) => p.type === 'm.room.create'),
      'the walk reaches the creation',
    );
    const messages = body.pdus.filter((p: Json) => p.type === 'm.room.message');
    assert.equal(messages.length, Object.keys(ids).length, 'every message is served, pruned or not');
    return seen(body.pdus);
  }

  /** Each named message as served: its body, or undefined when pruned. */
  function seen(pdus: Json[]): Record<string, string | undefined> {
    const messages = pdus.filter((p: Json) => p.type === 'm.room.message');
    const said: Record<string, string> = {
      shared: 'said while shared',
      beforeBob: 'before bob came',
      withBob: 'while bob is in',
      carolInvited: 'while carol is invited',
      last: 'everyone is here',
    };
    const out: Record<string, string | undefined> = {};
    for (const [name, text] of Object.entries(said)) {
      out[name] = messages.some((p: Json) => p.content.body === text) ? text : undefined;
    }
    for (const pruned of messages.filter((p: Json) => p.content.body === undefined)) {
      assert.deepEqual(pruned.content, {}, 'pruned by the redaction algorithm');
      assert.ok(pruned.signatures && pruned.hashes, 'signatures and hashes kept');
    }
    return out;
  }

  test('/backfill: the joined-only past before a server’s users came is pruned, the rest whole', async () => {
    assert.deepEqual(await backfilled(b), {
      shared: 'said while shared',
      beforeBob: undefined,
      withBob: 'while bob is in',
      carolInvited: 'while carol is invited',
      last: 'everyone is here',
    });
    // Under `invited`, an invited user's server sees from the invite on.
    assert.deepEqual(await backfilled(c), {
      shared: 'said while shared',
      beforeBob: undefined,
      withBob: undefined,
      carolInvited: 'while carol is invited',
      last: 'everyone is here',
    });
  });

  test('/event and /get_missing_events serve the same', async () => {
    const event = await fedRequest(c, a, 'GET', `${V1}/event/${enc(ids.withBob!)}`);
    assert.deepEqual(event.pdus[0].content, {});
    const whole = await fedRequest(b, a, 'GET', `${V1}/event/${enc(ids.withBob!)}`);
    assert.equal(whole.pdus[0].content.body, 'while bob is in');
    const missing = await fedRequest(c, a, 'POST', `${V1}/get_missing_events/${enc(roomId)}`, {
      body: { earliest_events: [], latest_events: [ids.last!], limit: 50 },
    });
    assert.ok(
      missing.events.some((p: Json) => p.type === 'm.room.create'),
      'the walk reaches the creation',
    );
    assert.deepEqual(seen(missing.events), {
      shared: 'said while shared',
      beforeBob: undefined,
      withBob: undefined,
      carolInvited: 'while carol is invited',
      last: undefined, // not asked for: the walk starts at its prev events
    });
  });

  test('a server’s own users’ member events and the room’s state stay whole', async () => {
    const body = await fedRequest(c, a, 'GET', `${V1}/backfill/${enc(roomId)}`, {
      query: { v: ids.last!, limit: '50' },
    });
    const members = body.pdus.filter((p: Json) => p.type === 'm.room.member');
    assert.ok(members.every((m: Json) => m.content.membership !== undefined));
    const bobJoin = members.find((m: Json) => m.state_key.startsWith('@bob:'));
    assert.equal(bobJoin.content.membership, 'join', 'membership survives pruning');
    const visibility = body.pdus.filter((p: Json) => p.type === 'm.room.history_visibility');
    assert.ok(visibility.every((e: Json) => typeof e.content.history_visibility === 'string'));
  });
});
