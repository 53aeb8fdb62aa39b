// Finding 3 of issue 12, through the real wire: a peer sends presence for
// thousands of its users who share no room with anyone here. Before the fix
// every update was stored (120,000 rows, 125 MB, slow syncs for everyone).
// Now presence is admitted only about users who share a room with one of
// ours: the rows the peer can make us keep are bounded by the members of our
// users' rooms, here exactly one.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accountTableNames } from '../../../src/core/accounts/api.ts';
import { presenceTable } from '../../../src/core/accounts/tables.ts';
import { rogueJoins } from '../../core/federation/rogue-peer.ts';
import { oneNodeAndRogue } from '../../support/one-node-and-rogue.ts';

/** Transactions of 100 EDUs of 200 updates: 40,000 updates about strangers. */
const TRANSACTIONS = 2;

describe('presence from a peer over libp2p', () => {
  const t = oneNodeAndRogue({ rogueSeed: 0x68, serve: async () => ({ status: 200, body: { pdus: {} } }) });

  test('only presence of users sharing a room with ours is kept', async () => {
    const { a, alice, roomId, rogue } = t;
    const { userId: mallory } = await rogueJoins(rogue, a, alice.accessToken, roomId);
    let n = 0;
    const stranger = () => ({ user_id: rogue.user(`s${++n}`), presence: 'online', last_active_ago: 1 });
    for (let t = 0; t < TRANSACTIONS; t++) {
      const edus = Array.from({ length: 100 }, () => ({
        edu_type: 'm.presence',
        content: { push: Array.from({ length: 200 }, stranger) },
      }));
      const res = await rogue.send(a.serverName, [], edus);
      assert.equal(res.status, 200);
    }
    const mine = {
      edu_type: 'm.presence',
      content: {
        push: [{ user_id: mallory, presence: 'unavailable', status_msg: 'in the room', last_active_ago: 5 }],
      },
    };
    assert.equal((await rogue.send(a.serverName, [], [mine])).status, 200);

    const rows = await a.store.read(accountTableNames, (tx) => presenceTable.query(tx));
    const rogueRows = rows.filter((r) => r.user_id.endsWith(`:${rogue.serverName}`));
    assert.deepEqual(
      rogueRows.map((r) => [r.user_id, r.presence]),
      [[mallory, 'unavailable']],
    );
  });
});
