// Issue 12, "size and count quotas per peer for … directory answers", through
// the real wire: a rogue peer answers directory questions with more than
// anyone asked for. An answer past its byte cap (MAX_LISTING_ANSWER_BYTES for
// publicRooms, MAX_QUERY_ANSWER_BYTES for query/profile and query/directory)
// is refused by the transport before it is read, so the asker lists what the
// honest peers answered; an answer within bytes gives at most
// MAX_ROOMS_PER_PEER rooms.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FOUND_ON } from '../../../src/core/federation/directory/federation-directory.ts';
import {
  MAX_LISTING_ANSWER_BYTES,
  MAX_QUERY_ANSWER_BYTES,
  MAX_ROOMS_PER_PEER,
} from '../../../src/core/federation/directory/peer-answers.ts';
import type { JsonObject } from '../../../src/core/protocol.ts';
import { createRoom } from '../../core/federation/room-helpers.ts';
import { type RoguePeer, rogueOver } from '../../core/federation/rogue-peer.ts';
import type { Account, RunningNode } from '../../support/federated-cluster.ts';
import { type Libp2pCluster, createLibp2pCluster } from '../../support/libp2p-cluster.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

describe('directory answers from a hostile peer over libp2p', () => {
  let cluster: Libp2pCluster;
  let a: RunningNode;
  let b: RunningNode;
  let bob: Account;
  let roomId: string;
  let rogue: RoguePeer;
  /** What the rogue answers publicRooms with now. */
  let listing: JsonObject = { chunk: [] };

  const rogueRoom = (i: number, name: string): JsonObject => ({
    room_id: `!r${i}:${rogue.serverName}`,
    name,
    num_joined_members: 9999,
    world_readable: true,
    guest_can_join: true,
  });

  before(async () => {
    cluster = await createLibp2pCluster(['a', 'b']);
    [a, b] = cluster.nodes as [RunningNode, RunningNode];
    const alice = await a.register('alice');
    bob = await b.register('bob');
    roomId = await createRoom(a, alice, { preset: 'public_chat', visibility: 'public', name: 'General' });
    rogue = await rogueOver(await cluster.rogueTransport(0x6b), 0x6b);
    rogue.serve(async (_from, req) => {
      if (req.path === '/_matrix/federation/v1/publicRooms') return { status: 200, body: listing };
      if (req.path === '/_matrix/federation/v1/query/profile')
        return { status: 200, body: { displayname: 'M', pad: 'x'.repeat(MAX_QUERY_ANSWER_BYTES) } };
      return { status: 404, body: { errcode: 'M_NOT_FOUND', error: 'no' } };
    });
  });
  after(() => cluster.close());

  const networkRooms = async () => {
    const res = await b.request('POST', `${V3}/publicRooms`, {}, bob.accessToken);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.chunk as Record<string, unknown>[];
  };

  test('a publicRooms answer past the byte cap is not read: the listing shows the honest peers’ rooms', async () => {
    // 4,000 rooms of about 300 bytes: over a megabyte.
    listing = {
      chunk: Array.from({ length: 4000 }, (_, i) => rogueRoom(i, `Free nitro ${'!'.repeat(250)}`)),
    };
    assert.ok(JSON.stringify(listing).length > 4 * MAX_LISTING_ANSWER_BYTES);
    const entries = await networkRooms();
    assert.deepEqual(
      entries.map((e) => e.room_id),
      [roomId],
    );
    assert.deepEqual(entries[0]?.[FOUND_ON], [a.serverName]);
    const direct = await b.request(
      'POST',
      `${V3}/publicRooms?server=${rogue.serverName}`,
      {},
      bob.accessToken,
    );
    assert.equal(direct.status, 502);
    assert.equal(direct.body.errcode, 'M_UNKNOWN');
  });

  test('an answer within bytes gives at most MAX_ROOMS_PER_PEER rooms', async () => {
    listing = { chunk: Array.from({ length: 2 * MAX_ROOMS_PER_PEER }, (_, i) => rogueRoom(i, `r${i}`)) };
    assert.ok(JSON.stringify(listing).length < MAX_LISTING_ANSWER_BYTES);
    const direct = await b.request(
      'POST',
      `${V3}/publicRooms?server=${rogue.serverName}`,
      {},
      bob.accessToken,
    );
    assert.equal(direct.status, 200);
    assert.equal((direct.body.chunk as unknown[]).length, MAX_ROOMS_PER_PEER);
    const entries = await networkRooms();
    assert.ok(entries.some((e) => e.room_id === roomId));
    assert.equal(entries.length, MAX_ROOMS_PER_PEER + 1);
  });

  test('a profile answer past its byte cap is no profile', async () => {
    const res = await b.request(
      'GET',
      `${V3}/profile/${enc(rogue.user('mallory'))}`,
      undefined,
      bob.accessToken,
    );
    assert.equal(res.status, 404, JSON.stringify(res.body));
  });
});
