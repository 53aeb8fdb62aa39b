// Room federation as createHomeserver composes it (homeserver.ts), over
// the in-memory network, with the default backoff and limits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Json, createFederatedCluster, eventually } from '../../support/federated-cluster.ts';
import { createRoom, join, say } from './room-helpers.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

test('two homeservers made by createHomeserver share a room over their transports', async () => {
  const cluster = await createFederatedCluster(['a', 'b']);
  const [a, b] = [cluster.node('a'), cluster.node('b')];
  try {
    const alice = await a.register('alice');
    const bob = await b.register('bob');
    const room = await createRoom(a, alice, { preset: 'public_chat' });
    const joined = await join(b, bob, room, [a.serverName]);
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    await say(b, bob, room, 'hi alice');
    const seen = await eventually(async () => {
      const res = await a.request(
        'GET',
        `${V3}/rooms/${enc(room)}/messages?dir=b`,
        undefined,
        alice.accessToken,
      );
      return res.body.chunk.find((e: Json) => e.content.body === 'hi alice');
    }, 'alice sees bob');
    assert.equal(seen.sender, bob.userId);
  } finally {
    await cluster.close();
  }
});
