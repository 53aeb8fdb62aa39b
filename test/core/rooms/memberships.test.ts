// Member events of many users written at once (a big room's join writes the
// membership of a thousand): each row as updateMembership would write it, and
// a forget undone only where a user is present again in that room.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RoomEvent } from '../../../src/core/protocol/types.ts';
import { updateMemberships } from '../../../src/core/rooms/persist-event.ts';
import { FORGOTTEN, forgottenTable, MEMBERS, membersTable } from '../../../src/core/rooms/tables.ts';
import { SCHEMA } from '../../../src/core/schema.ts';
import { storeKinds } from './store-kinds.ts';

const ROOM = '!room:a';
const OTHER = '!other:a';

const member = (user: string, membership: string): RoomEvent =>
  ({
    room_id: ROOM,
    type: 'm.room.member',
    state_key: user,
    sender: user,
    event_id: `$${user}-${membership}`,
    content: { membership },
  }) as unknown as RoomEvent;

for (const kind of storeKinds('memberships')) {
  // Two users present again: the forgotten table read whole (2 rows), or each user's row deleted by key (5).
  for (const others of [0, 3]) {
    test(`${kind.name}, ${others} other forgotten rows: rows written, a leave keeps when its user joined, forgets undone in this room only`, async () => {
      const store = await kind.place()(SCHEMA);
      const tables = [MEMBERS, FORGOTTEN];
      await store.write(tables, async (tx) => {
        await membersTable.put(tx, {
          room_id: ROOM,
          user_id: '@leaving:a',
          membership: 'join',
          event_id: '$joined',
          stream: 3,
          sender: '@leaving:a',
          joined_stream: 3,
        });
        await forgottenTable.put(tx, { user_id: '@back:a', room_id: ROOM });
        await forgottenTable.put(tx, { user_id: '@back:a', room_id: OTHER });
        for (let i = 0; i < others; i++)
          await forgottenTable.put(tx, { user_id: `@u${i}:a`, room_id: OTHER });
      });
      const events = [member('@back:a', 'join'), member('@new:b', 'join'), member('@leaving:a', 'leave')];
      await store.write(tables, (tx) => updateMemberships(tx, events, 9));
      const rows = await store.read(tables, async (tx) => ({
        members: await membersTable.query(tx),
        forgotten: await forgottenTable.query(tx),
      }));
      assert.deepEqual(
        rows.members.map((r) => [r.user_id, r.membership, r.stream, r.joined_stream]),
        [
          ['@back:a', 'join', 9, 9],
          ['@leaving:a', 'leave', 9, 3],
          ['@new:b', 'join', 9, 9],
        ],
      );
      assert.deepEqual(
        rows.forgotten.filter((r) => r.user_id === '@back:a'),
        [{ user_id: '@back:a', room_id: OTHER }],
      );
      assert.equal(rows.forgotten.length, 1 + others);
      await store.close();
    });
  }
}
