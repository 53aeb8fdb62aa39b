// Conformance: single-row operations, key shapes and value round-trips.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Row } from '../../../../src/core/storage/port.ts';
import type { Harness } from './fixtures.ts';

export function rowTests(h: Harness): void {
  test('put returns the key, get returns an equal row, a second put replaces it', () =>
    h.withStore(async (store) => {
      const key = await store.write(['kv'], (tx) => tx.put('kv', { k: 'a', n: 1 }));
      assert.equal(key, 'a');
      await store.write(['kv'], (tx) => tx.put('kv', { k: 'a', n: 2 }));
      const row = await store.read(['kv'], (tx) => tx.get('kv', 'a'));
      assert.deepEqual(row, { k: 'a', n: 2 });
      assert.equal(await store.read(['kv'], (tx) => tx.get('kv', 'missing')), undefined);
    }));

  test('putAll writes many rows of one table, replacing, with their indexes; not into an auto-increment table', () =>
    h.withStore(async (store) => {
      await store.write(['members'], (tx) =>
        tx.put('members', { roomId: '!a', userId: '@x', membership: 'invite' }),
      );
      await store.write(['members'], (tx) =>
        tx.putAll('members', [
          { roomId: '!a', userId: '@x', membership: 'join' },
          { roomId: '!a', userId: '@y', membership: 'join' },
          { roomId: '!b', userId: '@x', membership: 'leave' },
        ]),
      );
      const rows = await store.read(['members'], (tx) =>
        tx.query('members', { range: { lower: ['!a', ''], upper: ['!a', '\uffff'] } }),
      );
      assert.deepEqual(
        rows.map((r) => `${r.userId} ${r.membership}`),
        ['@x join', '@y join'],
      );
      await assert.rejects(store.write(['stream'], (tx) => tx.putAll('stream', [{ roomId: '!a' }])));
      assert.equal(await store.read(['stream'], (tx) => tx.count('stream')), 0, 'nothing written');
    }));

  test('putAll of many rows writes each with its index; a key given twice keeps its last row', () =>
    h.withStore(async (store) => {
      const users = Array.from({ length: 75 }, (_, i) => `@u${String(i).padStart(2, '0')}`);
      await store.write(['members'], (tx) =>
        tx.putAll('members', [
          ...users.map((userId) => ({ roomId: '!a', userId, membership: 'invite' })),
          { roomId: '!a', userId: '@u07', membership: 'join' },
          ...users.slice(40).map((userId) => ({ roomId: '!b', userId, membership: 'leave' })),
          { roomId: '!a', userId: '@u70', membership: 'ban' },
        ]),
      );
      const rows = await store.read(['members'], (tx) => tx.query('members'));
      assert.equal(rows.length, 75 + 35);
      const membership = (roomId: string, userId: string) =>
        rows.find((r) => r.roomId === roomId && r.userId === userId)?.membership;
      assert.equal(membership('!a', '@u07'), 'join');
      assert.equal(membership('!a', '@u70'), 'ban');
      assert.equal(membership('!a', '@u74'), 'invite');
      assert.equal(membership('!b', '@u74'), 'leave');
      const ofUser = await store.read(['members'], (tx) =>
        tx.query('members', { index: 'byUser', equals: '@u70' }),
      );
      assert.deepEqual(
        ofUser.map((r) => `${r.roomId} ${r.membership}`),
        ['!a ban', '!b leave'],
      );
    }));

  test('add inserts a row whose key is not held, with its indexes; a held key keeps its row and the write goes on', () =>
    h.withStore(async (store) => {
      await store.write(['tagged'], (tx) => tx.put('tagged', { id: 'held', tags: ['a', 'b'], kind: 'k1' }));
      const answers = await store.write(['tagged'], async (tx) => {
        const fresh = await tx.add('tagged', { id: 'new', tags: ['b', 'c'], kind: 'k2' });
        const held = await tx.add('tagged', { id: 'held', tags: ['z'], kind: 'k3' });
        // The transaction is still usable after the refused add, and sees both rows as they are.
        const seen = await tx.get('tagged', 'held');
        await tx.put('tagged', { id: 'after', tags: ['a'], kind: 'k1' });
        return { fresh, held, seen };
      });
      assert.deepEqual(answers, {
        fresh: true,
        held: false,
        seen: { id: 'held', tags: ['a', 'b'], kind: 'k1' },
      });
      const read = await store.read(['tagged'], async (tx) => ({
        held: await tx.get('tagged', 'held'),
        ids: (await tx.query('tagged')).map((r) => r.id),
        b: (await tx.query('tagged', { index: 'byTag', equals: 'b' })).map((r) => r.id),
        z: await tx.count('tagged', { index: 'byTag', equals: 'z' }),
        k2: (await tx.query('tagged', { index: 'byKind', equals: 'k2' })).map((r) => r.id),
        k3: await tx.count('tagged', { index: 'byKind', equals: 'k3' }),
      }));
      assert.deepEqual(read, {
        held: { id: 'held', tags: ['a', 'b'], kind: 'k1' },
        ids: ['after', 'held', 'new'],
        b: ['held', 'new'],
        z: 0,
        k2: ['new'],
        k3: 0,
      });
    }));

  test('add of a key held twice in one write: the second is refused; a key deleted before is free again', () =>
    h.withStore(async (store) => {
      await store.write(['kv'], (tx) => tx.put('kv', { k: 'gone', n: 0 }));
      const answers = await store.write(['kv'], async (tx) => {
        await tx.delete('kv', 'gone');
        return Promise.all([
          tx.add('kv', { k: 'a', n: 1 }),
          tx.add('kv', { k: 'a', n: 2 }),
          tx.add('kv', { k: 'gone', n: 3 }),
        ]);
      });
      assert.deepEqual(answers, [true, false, true]);
      assert.deepEqual(await store.read(['kv'], (tx) => tx.query('kv')), [
        { k: 'a', n: 1 },
        { k: 'gone', n: 3 },
      ]);
    }));

  test('add refuses an auto-increment table and a row without a valid key (DataError), writing nothing', () =>
    h.withStore(async (store) => {
      await assert.rejects(
        store.write(['stream'], (tx) => tx.add('stream', { pos: 1, roomId: '!a' })),
        { name: 'DataError' },
      );
      await assert.rejects(
        store.write(['kv'], async (tx) => {
          await tx.put('kv', { k: 'x', n: 1 });
          return tx.add('kv', { n: 2 });
        }),
        { name: 'DataError' },
      );
      assert.equal(await store.read(['stream'], (tx) => tx.count('stream')), 0);
      assert.equal(await store.read(['kv'], (tx) => tx.count('kv')), 0);
    }));

  test('compound primary keys are arrays of their parts', () =>
    h.withStore(async (store) => {
      const key = await store.write(['members'], async (tx) => {
        await tx.put('members', { roomId: '!a', userId: '@y', membership: 'join' });
        return tx.put('members', { roomId: '!a', userId: '@x', membership: 'invite' });
      });
      assert.deepEqual(key, ['!a', '@x']);
      const row = await store.read(['members'], (tx) => tx.get('members', ['!a', '@y']));
      assert.deepEqual(row, { roomId: '!a', userId: '@y', membership: 'join' });
      assert.equal(await store.read(['members'], (tx) => tx.get('members', ['!a', '@z'])), undefined);
    }));

  test('auto-increment keys increase, are returned and stored in the row', () =>
    h.withStore(async (store) => {
      const row = { roomId: '!a', what: 'first' };
      const keys = await store.write(['stream'], async (tx) => [
        await tx.put('stream', row),
        await tx.put('stream', { roomId: '!a' }),
      ]);
      const later = await store.write(['stream'], (tx) => tx.put('stream', { roomId: '!b' }));
      assert.equal(typeof keys[0], 'number');
      assert.ok((keys[0] as number) < (keys[1] as number) && (keys[1] as number) < (later as number));
      assert.deepEqual(await store.read(['stream'], (tx) => tx.get('stream', keys[0]!)), {
        ...row,
        pos: keys[0],
      });
      assert.deepEqual(row, { roomId: '!a', what: 'first' }, 'the row passed in is not modified');
    }));

  test('auto-increment continues above explicit keys and never reuses deleted ones', () =>
    h.withStore(async (store) => {
      await store.write(['stream'], (tx) => tx.put('stream', { pos: 100, roomId: '!a' }));
      const next = await store.write(['stream'], (tx) => tx.put('stream', { roomId: '!a' }));
      assert.equal(next, 101);
      await store.write(['stream'], (tx) => tx.delete('stream', 101));
      assert.equal(await store.write(['stream'], (tx) => tx.put('stream', { roomId: '!a' })), 102);
    }));

  test('delete removes a row and ignores a missing key', () =>
    h.withStore(async (store) => {
      await store.write(['kv'], async (tx) => {
        await tx.put('kv', { k: 'a' });
        await tx.put('kv', { k: 'b' });
      });
      await store.write(['kv'], async (tx) => {
        await tx.delete('kv', 'a');
        await tx.delete('kv', 'never-there');
      });
      assert.deepEqual(await store.read(['kv'], (tx) => tx.query('kv')), [{ k: 'b' }]);
    }));

  test('values round-trip: bytes, nested objects, arrays, unicode, $-prefixed keys', () =>
    h.withStore(async (store) => {
      const row: Row = {
        k: 'v',
        bytes: new Uint8Array([0, 1, 2, 254, 255]),
        empty: new Uint8Array(0),
        nested: {
          list: [1, 'two', { three: [3.5, null, true, false] }],
          deep: { bytes: new Uint8Array([7]) },
        },
        text: 'héllo 😀 \u0000 "quoted" \\',
        big: Number.MAX_SAFE_INTEGER,
        negative: -1.25e-7,
        dollar: { $bytes: 'not bytes', $$: 1, $ref: '$event:server' },
        receipts: { '$event:server': { 'm.read': { '@u:s': { ts: 1 } } } },
      };
      await store.write(['kv'], (tx) => tx.put('kv', row));
      const back = await store.read(['kv'], (tx) => tx.get<Row>('kv', 'v'));
      assert.deepStrictEqual(back, row);
      assert.equal(Object.getPrototypeOf(back?.bytes), Uint8Array.prototype);
    }));

  test('rows without a valid primary key, and invalid keys, are rejected with DataError', () =>
    h.withStore(async (store) => {
      const dataError = { name: 'DataError' };
      await assert.rejects(
        store.write(['kv'], (tx) => tx.put('kv', { notK: 1 })),
        dataError,
      );
      await assert.rejects(
        store.write(['members'], (tx) => tx.put('members', { roomId: '!a' })),
        dataError,
      );
      await assert.rejects(
        store.read(['kv'], (tx) => tx.get('kv', Number.NaN)),
        dataError,
      );
      await assert.rejects(
        store.write(['kv'], (tx) => tx.put('kv', { k: { not: 'a key' } })),
        dataError,
      );
    }));
}
