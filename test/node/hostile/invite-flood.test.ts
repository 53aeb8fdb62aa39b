// Finding 1 of issue 12, through the real wire: a peer floods one user with
// invites, each carrying about a megabyte of stripped state. Before the fix
// all were stored whole and the user's /sync answered 500 for good ("Invalid
// string length"). Now each invite keeps at most MAX_STRIPPED_STATE_BYTES of
// stripped state, one server may leave at most MAX_PENDING_INVITES_PER_SERVER
// invites waiting for one user (429 M_LIMIT_EXCEEDED past it), and the user's
// /sync answers with every invite stored.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_PENDING_INVITES_PER_SERVER } from '../../../src/core/federation/routes/invite-route.ts';
import { MAX_STRIPPED_STATE_BYTES } from '../../../src/core/rooms/federation-api.ts';
import { oneNodeAndRogue } from '../../support/one-node-and-rogue.ts';

const INVITES = MAX_PENDING_INVITES_PER_SERVER + 5;
/** Stripped state the rogue sends with each invite: 4 × 256 KiB topics. */
const HEAVY = 256 * 1024;

describe('an invite flood from one peer over libp2p', () => {
  // The invites go to alice (her own room beside them plays no part).
  const t = oneNodeAndRogue({ rogueSeed: 0x67 });

  async function invite(i: number) {
    const { a, alice, rogue } = t;
    const roomId = `!flood${i}:${rogue.serverName}`;
    const res = await rogue.invite(a.serverName, roomId, alice.userId, [
      ['m.room.create', { creator: rogue.user('mallory'), room_version: '10' }],
      ['m.room.name', { name: `flood ${i}` }],
      ...[1, 2, 3, 4].map((n) => [`m.flood.${n}`, { topic: 'x'.repeat(HEAVY) }] as const),
      ['m.room.join_rules', { join_rule: 'invite' }],
    ]);
    return { roomId, res };
  }

  test('the invites past the quota are refused and the user’s sync shows the rest within bounds', async () => {
    const { a, alice } = t;
    const outcomes = [];
    for (let i = 0; i < INVITES; i++) outcomes.push(await invite(i));
    const accepted = outcomes.filter((o) => o.res.status === 200);
    const refused = outcomes.filter((o) => o.res.status === 429);
    assert.equal(accepted.length, MAX_PENDING_INVITES_PER_SERVER);
    assert.equal(refused.length, INVITES - MAX_PENDING_INVITES_PER_SERVER);
    for (const o of refused) assert.equal((o.res.body as { errcode?: string }).errcode, 'M_LIMIT_EXCEEDED');

    const sync = await a.request('GET', '/_matrix/client/v3/sync', undefined, alice.accessToken);
    assert.equal(sync.status, 200);
    const invites = sync.body.rooms.invite as Record<
      string,
      { invite_state: { events: { type: string }[] } }
    >;
    assert.deepEqual(Object.keys(invites).sort(), accepted.map((o) => o.roomId).sort());
    for (const room of Object.values(invites)) {
      const bytes = new TextEncoder().encode(JSON.stringify(room.invite_state)).length;
      // The stripped state within its budget, and the light events kept beside a heavy one that fits.
      assert.ok(bytes <= MAX_STRIPPED_STATE_BYTES + 4096, `${bytes} bytes of invite state`);
      const types = room.invite_state.events.map((e) => e.type);
      for (const t of ['m.room.create', 'm.room.name', 'm.room.join_rules', 'm.room.member'])
        assert.ok(types.includes(t), `${t} in ${types}`);
      assert.ok(!types.includes('m.flood.1'));
    }
  });
});
