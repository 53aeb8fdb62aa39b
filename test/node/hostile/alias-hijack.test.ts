// Finding 4 of issue 12, through the real wire: alias hijack and directory
// poisoning. Alice on A made the public room "General" with #general:A; Carol
// on C joined it and lists it in C's directory too. A rogue peer lists a room
// of its own (a real version 12 room it created) claiming #general:A, with a
// canonical alias event it forged in Alice's name, and lists the real room as
// "Hijacked" with 9,999 members. Before the fix Bob's server believed the
// first peer that claimed the alias once A was offline (#general:A resolved
// to the rogue's room) and showed whichever entry came first. Now (README,
// "Hostile peers and pages": directory trust): the real room's entry is its
// creator's, the rogue's room may not show another server's alias, and with A
// offline the alias resolves only to a room whose own state, signed by A,
// names it: the real one, through Carol's server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FOUND_ON } from '../../../src/core/federation/directory/federation-directory.ts';
import { PROOF } from '../../../src/core/federation/directory/room-proof.ts';
import type { JsonObject } from '../../../src/core/protocol.ts';
import { createRoom, join } from '../../core/federation/room-helpers.ts';
import { type RoguePeer, rogueOver } from '../../core/federation/rogue-peer.ts';
import type { Account, RunningNode } from '../../support/federated-cluster.ts';
import { type Libp2pCluster, createLibp2pCluster } from '../../support/libp2p-cluster.ts';

const V3 = '/_matrix/client/v3';

describe('alias and directory trust over libp2p', () => {
  let cluster: Libp2pCluster;
  let a: RunningNode;
  let b: RunningNode;
  let c: RunningNode;
  let bob: Account;
  let roomId: string;
  let fakeRoomId: string;
  let rogue: RoguePeer;
  let alias: string;

  before(async () => {
    // Each peer's directory answer counts here, so each gets 30 s, not the
    // 750 ms that bounds a user's wait: on a loaded machine one came late.
    cluster = await createLibp2pCluster(['a', 'b', 'c'], { directory: { perPeerMs: 30_000 } });
    [a, b, c] = cluster.nodes as [RunningNode, RunningNode, RunningNode];
    const alice = await a.register('alice');
    bob = await b.register('bob');
    const carol = await c.register('carol');
    alias = `#general:${a.serverName}`;
    roomId = await createRoom(a, alice, {
      preset: 'public_chat',
      visibility: 'public',
      name: 'General',
      room_alias_name: 'general',
      power_level_content_override: { users: { [carol.userId]: 50 } },
    });
    assert.equal((await join(c, carol, roomId, [a.serverName])).status, 200);
    const listed = await c.request(
      'PUT',
      `${V3}/directory/list/room/${encodeURIComponent(roomId)}`,
      { visibility: 'public' },
      carol.accessToken,
    );
    assert.equal(listed.status, 200, JSON.stringify(listed.body));

    rogue = await rogueOver(await cluster.rogueTransport(0x69), 0x69);
    // A room of the rogue's own, and a canonical alias event "from Alice" it signed itself.
    const create = await rogue.event({
      type: 'm.room.create',
      state_key: '',
      sender: rogue.user('mallory'),
      content: { room_version: rogue.version.id },
    });
    fakeRoomId = `!${create.eventId.slice(1)}`;
    const forged = await rogue.event({
      type: 'm.room.canonical_alias',
      state_key: '',
      room_id: fakeRoomId,
      sender: `@alice:${a.serverName}`,
      content: { alias },
      prev_events: [create.eventId],
      auth_events: [create.eventId],
      depth: 2,
    });
    const listing: JsonObject = {
      chunk: [
        {
          room_id: fakeRoomId,
          name: 'General',
          canonical_alias: alias,
          num_joined_members: 9999,
          world_readable: true,
          guest_can_join: true,
          [PROOF]: { create: create.pdu, canonical_alias: forged.pdu },
        },
        {
          room_id: roomId,
          name: 'Hijacked',
          canonical_alias: alias,
          num_joined_members: 9999,
          world_readable: true,
          guest_can_join: true,
        },
      ],
      total_room_count_estimate: 2,
    };
    rogue.serve(async (_from, req) =>
      req.path === '/_matrix/federation/v1/publicRooms'
        ? { status: 200, body: listing }
        : { status: 404, body: { errcode: 'M_NOT_FOUND', error: 'no' } },
    );
  });
  after(() => cluster.close());

  test("the real room's directory entry is its creator's; the rogue's room shows no alias of another server", async () => {
    const res = await b.request('POST', `${V3}/publicRooms`, {}, bob.accessToken);
    assert.equal(res.status, 200);
    const entries = res.body.chunk as Record<string, unknown>[];
    const real = entries.find((e) => e.room_id === roomId);
    assert.equal(real?.name, 'General');
    assert.equal(real?.canonical_alias, alias);
    assert.equal(real?.num_joined_members, 2);
    assert.deepEqual(
      new Set(real?.[FOUND_ON] as string[]),
      new Set([a.serverName, c.serverName, rogue.serverName]),
    );
    const fake = entries.find((e) => e.room_id === fakeRoomId);
    assert.ok(fake, 'the rogue still lists its own room');
    assert.equal(fake.canonical_alias, undefined);
  });

  test('with the alias’s server offline, the alias resolves to the room whose own state proves it, not the rogue’s', async () => {
    await a.stop();
    const res = await b.request(
      'GET',
      `${V3}/directory/room/${encodeURIComponent(alias)}`,
      undefined,
      bob.accessToken,
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.room_id, roomId);
    assert.ok((res.body.servers as string[]).includes(c.serverName));
  });
});
