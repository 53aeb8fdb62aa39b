// The row cache keeps every guarantee of the store it fronts (the whole
// conformance suite runs through it, over Dexie and over SQLite), and on top:
// a repeated get is answered without the store, a committed write is never
// hidden by a cached row, and a caller changing a row it read changes nothing else.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { openDexieStore } from '../../../src/platform/dexie/dexie-store.ts';
import type { Row, SchemaVersion } from '../../../src/core/storage/port.ts';
import { openSqliteStore } from '../../../src/node/storage/sqlite-store.ts';
import { V1 } from './conformance/fixtures.ts';
import { runStoreConformance } from './store-conformance.ts';
import { cached, countedStore } from './counted-store.ts';

/** The tables of the newest of `versions`, as the homeserver gives its schema's (homeserver-store.ts). */
const latest = (versions: readonly SchemaVersion[]) => versions[versions.length - 1]!.tables;

runStoreConformance('row cache over Dexie', async (name, versions) =>
  cached(await openDexieStore(name, versions, { indexedDB, IDBKeyRange }), 1000, latest(versions)),
);
runStoreConformance('row cache without table specs over Dexie', async (name, versions) =>
  cached(await openDexieStore(name, versions, { indexedDB, IDBKeyRange }), 1000, {}),
);
runStoreConformance(
  'row cache over SQLite :memory:',
  async (_name, versions) => cached(await openSqliteStore(':memory:', versions), 1000, latest(versions)),
  { durable: false },
);
runStoreConformance(
  'row cache of 2 rows over SQLite :memory:',
  async (_name, versions) => cached(await openSqliteStore(':memory:', versions), 2, latest(versions)),
  { durable: false },
);

describe('the row cache', () => {
  test('a row written, or read once, is read again without the store', async () => {
    const { store, gets } = await countedStore();
    await store.write(['kv'], (tx) => tx.put('kv', { k: 'a', v: 1 }));
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await store.read(['kv'], (tx) => tx.get('kv', 'a')), { k: 'a', v: 1 });
      assert.equal(await store.read(['kv'], (tx) => tx.get('kv', 'b')), undefined);
    }
    assert.equal(gets(), 1, 'the committed put is learnt; the absent key asked once');
    await store.close();
  });

  test('a committed put, delete or deleteWhere is seen by the next read', async () => {
    const { store } = await countedStore();
    const read = () => store.read(['kv'], (tx) => tx.get('kv', 'a'));
    await store.write(['kv'], (tx) => tx.put('kv', { k: 'a', v: 1 }));
    await read();
    await store.write(['kv'], (tx) => tx.put('kv', { k: 'a', v: 2 }));
    assert.deepEqual(await read(), { k: 'a', v: 2 });
    await store.write(['kv'], (tx) => tx.delete('kv', 'a'));
    assert.equal(await read(), undefined);
    await store.write(['kv'], (tx) => tx.put('kv', { k: 'a', v: 3 }));
    await read();
    await store.write(['kv'], (tx) => tx.deleteWhere('kv', {}));
    assert.equal(await read(), undefined);
    await store.close();
  });

  test('a write reads its own put, even while the put runs', async () => {
    const { store } = await countedStore();
    await store.write(['kv'], (tx) => tx.put('kv', { k: 'a', v: 1 }));
    await store.read(['kv'], (tx) => tx.get('kv', 'a'));
    const seen = await store.write(['kv'], async (tx) => {
      const [, during] = await Promise.all([tx.put('kv', { k: 'a', v: 2 }), tx.get('kv', 'a')]);
      return [during, await tx.get('kv', 'a')];
    });
    assert.deepEqual(seen, [
      { k: 'a', v: 2 },
      { k: 'a', v: 2 },
    ]);
    await store.close();
  });

  test('peek answers from memory only: rows read or committed, as of the last commit', async () => {
    const { store, gets } = await countedStore();
    await store.write(['kv'], (tx) => tx.put('kv', { k: 'b', v: 1 }));
    assert.equal(store.peek!('kv', 'a'), undefined, 'never read: not in memory');
    await store.read(['kv'], (tx) => tx.get('kv', 'a'));
    assert.equal(store.peek!('kv', 'a'), undefined, 'no such row');
    await store.write(['kv'], (tx) => tx.put('kv', { k: 'a', v: 1 }));
    const peeked = store.peek!<{ k: string; v: number }>('kv', 'a')!;
    assert.deepEqual(peeked, { k: 'a', v: 1 });
    peeked.v = 99;
    assert.deepEqual(store.peek!('kv', 'a'), { k: 'a', v: 1 }, 'a copy of its own');
    await store.write(['kv'], (tx) => tx.delete('kv', 'a'));
    assert.equal(store.peek!('kv', 'a'), undefined);
    assert.equal(gets(), 1);
    await store.close();
  });

  test('a write that fails leaves no trace in the cache', async () => {
    const { store } = await countedStore();
    await store.write(['kv'], (tx) => tx.put('kv', { k: 'a', v: 1 }));
    await store.read(['kv'], (tx) => tx.get('kv', 'a'));
    await assert.rejects(
      store.write(['kv'], async (tx) => {
        await tx.put('kv', { k: 'a', v: 2 });
        throw new Error('changed my mind');
      }),
    );
    assert.deepEqual(await store.read(['kv'], (tx) => tx.get('kv', 'a')), { k: 'a', v: 1 });
    await store.close();
  });

  test('a read that began before a write does not cache what it read after the commit', async () => {
    const { store } = await countedStore();
    await store.write(['kv'], (tx) => tx.put('kv', { k: 'a', v: 1 }));
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // This read has begun (its snapshot is v1) when the write below commits.
    const slow = store.read(['kv'], async (tx) => {
      await held;
      return tx.get('kv', 'a');
    });
    const write = store.write(['kv'], (tx) => tx.put('kv', { k: 'a', v: 2 }));
    release();
    await Promise.all([slow, write]);
    assert.deepEqual(await store.read(['kv'], (tx) => tx.get('kv', 'a')), { k: 'a', v: 2 });
    await store.close();
  });

  test("reads share a query's answer until a commit touches its table", async () => {
    const { store, queries } = await countedStore();
    await store.write(['kv'], (tx) => tx.put('kv', { k: 'a', v: 1 }));
    const all = () => store.read(['kv'], (tx) => tx.query<{ k: string; v: number }>('kv'));
    const counted = () => store.read(['kv'], (tx) => tx.count('kv'));
    assert.deepEqual(await all(), [{ k: 'a', v: 1 }]);
    (await all())[0]!.v = 99;
    assert.deepEqual(await all(), [{ k: 'a', v: 1 }], 'an answer of its own');
    assert.equal(await counted(), 1);
    assert.equal(await counted(), 1);
    assert.equal(queries(), 2);
    await store.write(['events'], (tx) => tx.put('events', { eventId: '$e', roomId: '!r', depth: 1 }));
    await all();
    assert.equal(queries(), 2, 'a write to another table changes nothing here');
    await store.write(['kv'], (tx) => tx.put('kv', { k: 'b', v: 2 }));
    assert.deepEqual((await all()).length, 2);
    assert.equal(await counted(), 2);
    assert.equal(queries(), 4);
    await store.close();
  });

  test('two writes open together each read what the other committed, not the cached row', async () => {
    // Over IndexedDB both write functions run at once while the store runs
    // their requests one transaction after the other; two writers of a
    // counter (a stream position) must never take the same value.
    const store = cached(
      await openDexieStore(`row-cache-${process.pid}-writers`, [V1], { indexedDB, IDBKeyRange }),
    );
    await store.write(['kv'], (tx) => tx.put('kv', { k: 'counter', v: 0 }));
    await store.read(['kv'], (tx) => tx.get('kv', 'counter'));
    const next = () =>
      store.write(['kv'], async (tx) => {
        const v = (await tx.get<{ k: string; v: number }>('kv', 'counter'))!.v + 1;
        await tx.put('kv', { k: 'counter', v });
        return v;
      });
    assert.deepEqual((await Promise.all([next(), next(), next()])).sort(), [1, 2, 3]);
    assert.deepEqual(await store.read(['kv'], (tx) => tx.get('kv', 'counter')), { k: 'counter', v: 3 });
    await store.close();
  });

  test('a read opened while a write is open reads past the cache; one opened before may use it', async () => {
    const { store, gets } = await countedStore();
    await store.write(['kv'], (tx) => tx.put('kv', { k: 'a', v: 1 }));
    await store.read(['kv'], (tx) => tx.get('kv', 'a'));
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const before = store.read(['kv'], async (tx) => {
      await held;
      return tx.get('kv', 'a');
    });
    const write = store.write(['kv'], async (tx) => {
      await held;
      await tx.put('kv', { k: 'a', v: 2 });
    });
    const during = store.read(['kv'], (tx) => tx.get('kv', 'a'));
    release();
    await Promise.all([before, write, during]);
    assert.deepEqual(await before, { k: 'a', v: 1 }, 'its snapshot is from before the write');
    assert.equal(
      gets(),
      1,
      'only the read opened during the write asked the store (the first put is learnt)',
    );
    await store.close();
  });

  test('while a write that may touch the table is open, reads ask the store', async () => {
    const { store, queries } = await countedStore();
    await store.write(['kv'], (tx) => tx.put('kv', { k: 'a', v: 1 }));
    const all = () => store.read(['kv'], (tx) => tx.query('kv'));
    await all();
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The write has begun (it may go on to change kv) but not written yet.
    const write = store.write(['kv'], async (tx) => {
      await held;
      await tx.put('kv', { k: 'b', v: 2 });
    });
    const during = all();
    release();
    await Promise.all([during, write]);
    assert.equal(queries(), 2, 'asked the store during the write');
    assert.equal((await all()).length, 2);
    await store.close();
  });

  test('each read gets a row of its own: changing it changes nothing stored or cached', async () => {
    const { store } = await countedStore();
    await store.write(['events'], (tx) =>
      tx.put('events', { eventId: '$e', roomId: '!r', depth: 1, content: { type: 'm.text' } }),
    );
    const read = () => store.read(['events'], (tx) => tx.get<{ content: { type: string } }>('events', '$e'));
    (await read())!.content.type = 'changed';
    (await read())!.content.type = 'changed again';
    assert.equal((await read())!.content.type, 'm.text');
    await store.close();
  });

  test('an answer too big to keep goes uncopied to its one asker; asking again in the transaction asks the store', async () => {
    const { store, queries } = await countedStore();
    await store.write(['kv'], async (tx) => {
      for (let i = 0; i < 100; i++) await tx.put('kv', { k: `k${i}`, v: i });
    });
    const before = queries();
    const [first, again, together] = await store.read(['kv'], async (tx) => {
      const first = await tx.query<{ k: string; v: number }>('kv', {});
      first[0]!.v = -1;
      const again = await tx.query<{ k: string; v: number }>('kv', {});
      // Asked twice at once: one request, each asker its own copy.
      const together = await Promise.all([tx.query<Row>('kv', {}), tx.query<Row>('kv', {})]);
      return [first, again, together];
    });
    assert.equal(queries() - before, 3);
    assert.equal(again[0]!.v, 0);
    assert.notEqual(together[0], together[1]);
    (together[0][0] as { v: number }).v = -2;
    assert.equal((together[1][0] as { v: number }).v, 0);
    assert.equal(first.length, 100);
    assert.equal((await store.read(['kv'], (tx) => tx.get<{ v: number }>('kv', 'k0')))!.v, 0);
    await store.close();
  });

  test("hits share a multiEntry index's frozen array; the rest of each row is its own", async () => {
    const store = cached(await openSqliteStore(':memory:', [V1]));
    await store.write(['tagged'], (tx) => tx.put('tagged', { id: 'r1', tags: [['x', 1], 'b'], kind: 1 }));
    const read = () => store.read(['tagged'], (tx) => tx.get<Row>('tagged', 'r1'));
    await read();
    const [first, second] = [(await read())!, (await read())!];
    assert.ok(Object.isFrozen(first.tags) && Object.isFrozen((first.tags as unknown[])[0]));
    assert.equal(first.tags, second.tags);
    assert.notEqual(first, second);
    first.kind = 2;
    assert.equal(second.kind, 1);
    // A row rewritten from one read keeps its entries.
    await store.write(['tagged'], (tx) => tx.put('tagged', { ...first, kind: 3 }));
    const byTag = await store.read(['tagged'], (tx) => tx.query('tagged', { index: 'byTag', equals: 'b' }));
    assert.deepEqual(byTag, [{ id: 'r1', tags: [['x', 1], 'b'], kind: 3 }]);
    await store.close();
  });
});
