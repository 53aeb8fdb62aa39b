// The state cache across a write that fails: the state group the failed
// write made was never committed, and the store gives its id again to the
// next state made; the cache must not answer that id with the lost state
// (found in review: one received transaction's events of a room now share
// one write transaction, so one failure reaches more of them).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StateCache } from '../../../src/core/federation/state-cache.ts';
import { stateKeyOf } from '../../../src/core/protocol/types.ts';
import { roomWriteTables } from '../../../src/core/rooms/federation-api.ts';
import { writeSnapshot } from '../../../src/core/rooms/state-groups.ts';
import { SCHEMA } from '../../../src/core/schema.ts';
import { openSqliteStore } from '../../../src/node/storage/sqlite-store.ts';

const ROOM = '!room:example.org';
const stateOf = (eventId: string) => new Map([[stateKeyOf('m.room.name', ''), eventId]]);

test('a write that fails takes the states it cached with it: the group id given again reads as its new state', async () => {
  const store = await openSqliteStore(':memory:', SCHEMA, { synchronous: 'normal' });
  const cache = new StateCache();
  let lostGroup = -1;
  await assert.rejects(
    cache.writing(
      store.write(roomWriteTables, async (tx) => {
        lostGroup = await writeSnapshot(tx, ROOM, stateOf('$lost'));
        assert.deepEqual(await cache.get(tx, lostGroup), stateOf('$lost'));
        throw new Error('the write fails after the state was read through the cache');
      }),
    ),
    /the write fails/,
  );
  const group = await cache.writing(
    store.write(roomWriteTables, (tx) => writeSnapshot(tx, ROOM, stateOf('$kept'))),
  );
  assert.equal(group, lostGroup, 'the store gave the rolled-back id again');
  const read = await store.read(roomWriteTables, (tx) => cache.get(tx, group));
  assert.deepEqual(read, stateOf('$kept'));
  await store.close();
});
