// Room summaries of rooms held by another server (spec: "Room summaries",
// GET /_matrix/client/v1/room_summary/{roomIdOrAlias}): fetched over
// federation `hierarchy` when public or world-readable; the rest 404.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Cluster, createFederatedCluster } from '../../support/federated-cluster.ts';
import { createRoom } from './room-helpers.ts';

const enc = encodeURIComponent;
const SUMMARY = '/_matrix/client/v1/room_summary';

describe('room summaries of rooms on other peers', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await createFederatedCluster(['a', 'b']);
  });
  after(() => cluster.close());

  test('public and world-readable rooms are summarised from their server; private ones are 404', async () => {
    const a = cluster.node('a');
    const b = cluster.node('b');
    const alice = await a.register('alice');
    const bob = await b.register('bob');
    const open = await createRoom(b, bob, {
      preset: 'public_chat',
      name: 'Open',
      topic: 'on b',
      room_alias_name: 'open',
    });
    const readable = await createRoom(b, bob, {
      preset: 'private_chat',
      name: 'Readable',
      initial_state: [
        {
          type: 'm.room.history_visibility',
          state_key: '',
          content: { history_visibility: 'world_readable' },
        },
      ],
    });
    const secret = await createRoom(b, bob, { preset: 'private_chat', name: 'Secret' });
    const via = `?via=${enc(b.serverName)}`;
    const ask = (target: string, query = via, token: string | null = alice.accessToken) =>
      a.request('GET', `${SUMMARY}/${enc(target)}${query}`, undefined, token ?? undefined);

    const res = await ask(open);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.room_id, open);
    assert.equal(res.body.name, 'Open');
    assert.equal(res.body.topic, 'on b');
    assert.equal(res.body.join_rule, 'public');
    assert.equal(res.body.num_joined_members, 1);
    assert.equal(res.body.world_readable, false);
    assert.equal(res.body.membership, undefined);

    const byAlias = await ask(`#open:${b.serverName}`, '');
    assert.deepEqual([byAlias.status, byAlias.body.room_id], [200, open]);

    const worldReadable = await ask(readable);
    assert.deepEqual([worldReadable.status, worldReadable.body.world_readable], [200, true]);

    for (const [target, query, token] of [
      [secret, undefined, alice.accessToken],
      ['!unknown:nowhere', undefined, alice.accessToken],
      [open, '', alice.accessToken], // no server to ask (v12 ids name none)
      [open, via, null], // no token: only rooms held here
      [`#missing:${b.serverName}`, '', alice.accessToken],
    ] as const) {
      const hidden = await ask(target, query, token);
      assert.deepEqual(
        [hidden.status, hidden.body.errcode],
        [404, 'M_NOT_FOUND'],
        `${target} ${query} ${token}`,
      );
    }
  });
});
