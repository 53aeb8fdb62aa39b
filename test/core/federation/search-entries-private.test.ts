// A timeline event's row carries its search index entries (`search`,
// rooms/search-index.ts): they are the homeserver's own bookkeeping, never
// part of the event. No answer that hands out events carries them: not a
// client's /messages or /sync, on the server that sent the message or the
// one that received it, nor a peer's GET /event (Matrix server-server API
// v1.12 §"Retrieving events": the PDU as it was sent).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Cluster, type Json, createFederatedCluster } from '../../support/federated-cluster.ts';
import { say, seesTexts, sync, twoServerRoom } from './room-helpers.ts';

const enc = encodeURIComponent;

/** Every object inside `value` that has a `search` member, with where it was. */
function searchKeys(value: unknown, at = '$'): string[] {
  if (typeof value !== 'object' || value === null) return [];
  const found = Object.hasOwn(value, 'search') ? [at] : [];
  for (const [key, inner] of Object.entries(value)) found.push(...searchKeys(inner, `${at}.${key}`));
  return found;
}

describe('search entries stay inside the store', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await createFederatedCluster(['a', 'b']);
  });
  after(() => cluster.close());

  test('no search member in /messages, /sync or a federation /event answer', async () => {
    const a = cluster.node('a');
    const b = cluster.node('b');
    const { alice, bob, roomId } = await twoServerRoom(a, b);
    const sent = await say(a, alice, roomId, 'roses are red and violets blue');
    await seesTexts(b, bob, roomId, ['roses are red and violets blue']);
    const stored = await a.store.read(['room_events'], (tx) => tx.get<Json>('room_events', sent));
    assert.ok(Array.isArray(stored.search) && stored.search.length > 0, 'the row has entries');

    for (const [node, who] of [
      [a, alice],
      [b, bob],
    ] as const) {
      const messages = await node.request(
        'GET',
        `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=100`,
        undefined,
        who.accessToken,
      );
      assert.equal(messages.status, 200);
      assert.ok(messages.body.chunk.some((e: Json) => e.event_id === sent));
      assert.deepEqual(searchKeys(messages.body), [], `${node.serverName} /messages`);
      const synced = await sync(node, who);
      assert.ok(JSON.stringify(synced).includes(sent));
      assert.deepEqual(searchKeys(synced), [], `${node.serverName} /sync`);
      // An incremental sync, which may take the new event from its commit's rows (sync-view.ts).
      const next = await say(node, who, roomId, `more roses from ${node.serverName}`);
      const later = await sync(node, who, synced.next_batch);
      assert.ok(JSON.stringify(later).includes(next));
      assert.deepEqual(searchKeys(later), [], `${node.serverName} incremental /sync`);
    }
    const served = (await b.federation.client.get(
      a.serverName,
      `/_matrix/federation/v1/event/${enc(sent)}`,
    )) as Json;
    assert.equal(served.pdus.length, 1);
    assert.equal(served.pdus[0].content.body, 'roses are red and violets blue');
    assert.deepEqual(searchKeys(served), [], 'federation /event');
  });
});
