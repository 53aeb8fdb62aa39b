// Issue 12, latency under attack, through the real wire: a peer in a room
// floods it with transactions of 100 typing, receipt and presence EDUs. Each
// was handled on its own, with a store transaction and a /sync wake each, so
// the EDU flood took send → /sync from 9.8 to 256 ms (bench/attack.bench.ts).
// Now one transaction's EDUs are admitted in one read, only each user's last
// word is kept, it is stored in one store transaction and the syncs are
// woken once: the user's long-poll returns once with the final state of all
// three. A transaction's to-device EDUs are stored in one store transaction
// too, within the peer's quota of messages waiting.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { PRESENCE } from '../../../src/core/accounts/tables.ts';
import { TO_DEVICE, toDeviceTable } from '../../../src/core/keys/tables.ts';
import { MAX_PENDING_PER_PEER } from '../../../src/core/keys/to-device.ts';
import type { Store } from '../../../src/core/storage/port.ts';
import { RECEIPTS } from '../../../src/core/sync/tables.ts';
import { join, say } from '../../core/federation/room-helpers.ts';
import { rogueJoins } from '../../core/federation/rogue-peer.ts';
import type { Account } from '../../support/federated-cluster.ts';
import { oneNodeAndRogue } from '../../support/one-node-and-rogue.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

/** Counts the store's write transactions over any of `watched` (the real store, watched) until `stop`. */
function countWrites(store: Store, watched: readonly string[]): { readonly count: number; stop(): void } {
  const write = store.write;
  const counter = {
    count: 0,
    stop: () => {
      store.write = write;
    },
  };
  store.write = ((tables, fn) => {
    if (tables.some((t) => watched.includes(t))) counter.count++;
    return write.call(store, tables, fn);
  }) as Store['write'];
  return counter;
}

describe('a flood of EDUs from a peer in the room, over libp2p', () => {
  const t = oneNodeAndRogue({
    rogueSeed: 0x6d,
    serve: async () => ({ status: 404, body: { errcode: 'M_NOT_FOUND', error: 'nothing here' } }),
  });
  let bob: Account;
  let mallory: string;

  before(async () => {
    const { a, alice, roomId, rogue } = t;
    bob = await a.register('bob');
    assert.equal((await join(a, bob, roomId, [])).status, 200);
    mallory = (await rogueJoins(rogue, a, alice.accessToken, roomId)).userId;
  });

  test('one transaction’s EDUs: one store transaction, one wake, the last word of each kind', async () => {
    const { a, alice, roomId, rogue } = t;
    const read = [await say(a, alice, roomId, 'one'), await say(a, alice, roomId, 'two')];
    const first = await a.request('GET', `${V3}/sync?timeout=0`, undefined, bob.accessToken);
    const waiting = a.request(
      'GET',
      `${V3}/sync?timeout=30000&since=${enc(first.body.next_batch)}`,
      undefined,
      bob.accessToken,
    );
    // bob's long-poll is waiting before the flood arrives.
    while (a.homeserver.notifier.waiting === 0) await new Promise((r) => setImmediate(r));
    const edus = Array.from({ length: 99 }, (_, i) => {
      const last = i >= 96;
      switch (i % 3) {
        case 0:
          return {
            edu_type: 'm.presence',
            content: {
              push: [{ user_id: mallory, presence: i % 2 ? 'online' : 'unavailable', last_active_ago: 1 }],
            },
          };
        case 1:
          return {
            edu_type: 'm.typing',
            content: { room_id: roomId, user_id: mallory, typing: last || i % 2 === 0 },
          };
        default:
          return {
            edu_type: 'm.receipt',
            content: { [roomId]: { 'm.read': { [mallory]: { event_ids: [read[i % 2]], data: { ts: i } } } } },
          };
      }
    });
    // The last words: i = 96 presence unavailable, i = 97 typing; of the receipts, the newest event ("two") counts.
    const writes = countWrites(a.store, [PRESENCE, RECEIPTS]);
    const notices = a.homeserver.notifier.notices;
    const res = await rogue.send(a.serverName, [], edus);
    writes.stop();
    assert.equal(res.status, 200);
    assert.equal(writes.count, 1, 'one store transaction for the EDUs’ receipts and presence');
    assert.ok(
      a.homeserver.notifier.notices - notices <= 2,
      'one notice, and the typing tracker’s for the room',
    );

    const woken = (await waiting).body;
    const room = woken.rooms.join[roomId];
    const presence = (woken.presence?.events ?? []).filter((e: { sender: string }) => e.sender === mallory);
    assert.deepEqual(
      presence.map((e: { content: { presence: string } }) => e.content.presence),
      ['unavailable'],
    );
    const receipts = room.ephemeral.events.filter((e: { type: string }) => e.type === 'm.receipt');
    const readBy = receipts.flatMap(
      (e: { content: Record<string, { 'm.read'?: Record<string, unknown> }> }) =>
        Object.entries(e.content)
          .filter(([, byType]) => byType['m.read']?.[mallory] !== undefined)
          .map(([eventId]) => eventId),
    );
    assert.deepEqual(readBy, [read[1]], 'the newest receipt wins (an older one does not move it back)');
    const typing = room.ephemeral.events.find((e: { type: string }) => e.type === 'm.typing');
    assert.deepEqual(typing?.content.user_ids, [mallory]);
  });

  test('to-device EDUs: one store transaction per peer transaction, at most MAX_PENDING_PER_PEER waiting from one peer', async () => {
    const { a, rogue } = t;
    const carol = await a.register('carol');
    let n = 0;
    const toCarol = () => ({
      edu_type: 'm.direct_to_device',
      content: {
        sender: mallory,
        type: 'm.flood',
        message_id: `m${++n}`,
        messages: { [carol.userId]: { '*': { n } } },
      },
    });
    const transactions = Math.ceil(MAX_PENDING_PER_PEER / 100) + 1;
    for (let t = 0; t < transactions; t++) {
      const writes = countWrites(a.store, [TO_DEVICE]);
      const res = await rogue.send(a.serverName, [], Array.from({ length: 100 }, toCarol));
      writes.stop();
      assert.equal(res.status, 200);
      assert.equal(writes.count, 1, 'one store transaction for the to-device EDUs');
    }
    const rows = await a.store.read([TO_DEVICE], (tx) =>
      toDeviceTable.query(tx, { index: 'origin', equals: rogue.serverName }),
    );
    assert.equal(rows.length, MAX_PENDING_PER_PEER);
    assert.ok(rows.every((r) => r.user_id === carol.userId));
  });
});
