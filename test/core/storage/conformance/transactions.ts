// Conformance: atomicity, visibility, isolation and serialised concurrent writes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Row } from '../../../../src/core/storage/port.ts';
import type { Harness } from './fixtures.ts';

export function transactionTests(h: Harness): void {
  test('a write returns what fn returns, and a read sees it after', () =>
    h.withStore(async (store) => {
      const result = await store.write(['kv'], async (tx) => {
        await tx.put('kv', { k: 'a' });
        return 'done';
      });
      assert.equal(result, 'done');
      assert.deepEqual(await store.read(['kv'], (tx) => tx.get('kv', 'a')), { k: 'a' });
    }));

  test('when fn throws, the write rejects with its error and nothing is written', () =>
    h.withStore(async (store) => {
      await store.write(['kv'], (tx) => tx.put('kv', { k: 'kept', n: 1 }));
      const boom = new Error('boom');
      await assert.rejects(
        store.write(['kv', 'events'], async (tx) => {
          await tx.put('kv', { k: 'new' });
          await tx.put('kv', { k: 'kept', n: 2 });
          await tx.delete('kv', 'kept');
          await tx.put('events', { eventId: '$e', roomId: '!r', depth: 1, content: {} });
          throw boom;
        }),
        (error) => error === boom,
      );
      const rows = await store.read(['kv', 'events'], async (tx) => [
        ...(await tx.query('kv')),
        ...(await tx.query('events')),
      ]);
      assert.deepEqual(rows, [{ k: 'kept', n: 1 }]);
    }));

  test('hold: work not of the transaction, a timer, is awaited and the write goes on and commits whole', () =>
    h.withStore(async (store) => {
      const later = new Promise<string>((resolve) => setTimeout(() => resolve('checked'), 30));
      const result = await store.write(['kv'], async (tx) => {
        await tx.put('kv', { k: 'before' });
        const held = await tx.hold(later);
        await tx.put('kv', { k: 'after', held });
        return held;
      });
      assert.equal(result, 'checked');
      assert.deepEqual(await store.read(['kv'], (tx) => tx.query('kv')), [
        { k: 'after', held: 'checked' },
        { k: 'before' },
      ]);
    }));

  test('hold: work settled already, with no request pending, answers and the write goes on', () =>
    h.withStore(async (store) => {
      const done = Promise.resolve(7);
      await done;
      await store.write(['kv'], async (tx) => {
        await tx.put('kv', { k: 'a' });
        await tx.put('kv', { k: 'b', n: await tx.hold(done) });
      });
      assert.deepEqual(await store.read(['kv'], (tx) => tx.get('kv', 'b')), { k: 'b', n: 7 });
    }));

  test('hold: work that rejects rejects the hold; thrown on, nothing of the write is kept', () =>
    h.withStore(async (store) => {
      await assert.rejects(
        store.write(['kv'], async (tx) => {
          // Made where it is held at once: no rejection goes unhandled meanwhile.
          const failing = new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error('bad signature')), 10),
          );
          const held = tx.hold(failing);
          await tx.put('kv', { k: 'placed' });
          await held;
        }),
        /bad signature/,
      );
      assert.equal(await store.read(['kv'], (tx) => tx.count('kv')), 0);
    }));

  test('hold: asked of a transaction that has ended, with its work settled (either way) or not, is refused', () =>
    h.withStore(async (store) => {
      const leaked = await store.write(['kv'], async (tx) => {
        await tx.put('kv', { k: 'a' });
        return tx;
      });
      const done = Promise.resolve(1);
      await done;
      await assert.rejects(leaked.hold(done), { name: 'TransactionInactiveError' });
      await assert.rejects(leaked.hold(new Promise(() => {})), { name: 'TransactionInactiveError' });
      const failed = Promise.reject(new Error('a check failed'));
      await assert.rejects(failed);
      await assert.rejects(leaked.hold(failed), { name: 'TransactionInactiveError' });
    }));

  test('hold: a write asked meanwhile over the same table runs after the held one', () =>
    h.withStore(async (store) => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const order: string[] = [];
      const held = store.write(['kv'], async (tx) => {
        await tx.put('kv', { k: 'x', n: 1 });
        await tx.hold(gate);
        order.push('held');
        await tx.put('kv', { k: 'x', n: 2 });
      });
      // Its function may start at once (IndexedDB's does); its first answer comes after the held write.
      const other = store.write(['kv'], async (tx) => {
        const x = await tx.get<Row>('kv', 'x');
        order.push('other');
        await tx.put('kv', { k: 'x', n: ((x?.n as number) ?? 0) * 10 });
      });
      setTimeout(release, 20);
      await Promise.all([held, other]);
      assert.deepEqual(order, ['held', 'other']);
      assert.deepEqual(await store.read(['kv'], (tx) => tx.get('kv', 'x')), { k: 'x', n: 20 });
    }));

  test('a transaction reads its own writes', () =>
    h.withStore(async (store) => {
      await store.write(['kv'], (tx) => tx.put('kv', { k: 'old' }));
      const seen = await store.write(['kv'], async (tx) => {
        await tx.put('kv', { k: 'new', n: 1 });
        await tx.delete('kv', 'old');
        return {
          got: await tx.get('kv', 'new'),
          gone: await tx.get('kv', 'old'),
          all: await tx.query('kv'),
          count: await tx.count('kv'),
        };
      });
      assert.deepEqual(seen, {
        got: { k: 'new', n: 1 },
        gone: undefined,
        all: [{ k: 'new', n: 1 }],
        count: 1,
      });
    }));

  test('a read running beside a write sees all of it or none of it', () =>
    h.withStore(async (store) => {
      const write = store.write(['kv'], async (tx) => {
        await tx.put('kv', { k: 'a' });
        await tx.put('kv', { k: 'b' });
      });
      const read = store.read(['kv'], (tx) => tx.count('kv'));
      await write;
      assert.ok([0, 2].includes(await read));
      assert.equal(await store.read(['kv'], (tx) => tx.count('kv')), 2);
    }));

  test('sequential transactions each see the previous ones committed', () =>
    h.withStore(async (store) => {
      for (let i = 1; i <= 5; i++) {
        await store.write(['kv'], async (tx) => {
          assert.equal(await tx.count('kv'), i - 1);
          await tx.put('kv', { k: `k${i}` });
        });
      }
      assert.equal(await store.read(['kv'], (tx) => tx.count('kv')), 5);
    }));

  test('concurrent read-modify-write transactions lose no update', () =>
    h.withStore(async (store) => {
      const increment = () =>
        store.write(['kv'], async (tx) => {
          const row = await tx.get<Row & { n: number }>('kv', 'counter');
          await tx.put('kv', { k: 'counter', n: (row?.n ?? 0) + 1 });
        });
      await Promise.all(Array.from({ length: 50 }, increment));
      assert.deepEqual(await store.read(['kv'], (tx) => tx.get('kv', 'counter')), { k: 'counter', n: 50 });
    }));

  test('a transaction object used after its transaction ended is refused', () =>
    h.withStore(async (store) => {
      const leaked = await store.write(['kv'], async (tx) => tx);
      await assert.rejects(leaked.put('kv', { k: 'late' }), { name: 'TransactionInactiveError' });
      assert.equal(await store.read(['kv'], (tx) => tx.count('kv')), 0);
    }));

  test('a failed request the caller catches does not abort its transaction', () =>
    h.withStore(async (store) => {
      await store.write(['kv'], async (tx) => {
        await tx.put('kv', { k: 'a' });
        // No key: the store refuses the row.
        await assert.rejects(tx.put('kv', { n: 1 }), { name: 'DataError' });
        await tx.put('kv', { k: 'b' });
      });
      assert.deepEqual(await store.read(['kv'], (tx) => tx.query('kv')), [{ k: 'a' }, { k: 'b' }]);
    }));

  test('a putAll that fails in the middle rejects, and the write with it writes nothing', () =>
    h.withStore(async (store) => {
      await assert.rejects(
        store.write(['kv'], (tx) => tx.putAll('kv', [{ k: 'a' }, { n: 1 }, { k: 'c' }])),
        { name: 'DataError' },
      );
      assert.equal(await store.read(['kv'], (tx) => tx.count('kv')), 0);
    }));

  test('a table used after its transaction finished is refused, touched in it or not', () =>
    h.withStore(async (store) => {
      const leaked = await store.write(['kv', 'members'], async (tx) => {
        await tx.put('kv', { k: 'a' });
        return tx;
      });
      await assert.rejects(leaked.put('kv', { k: 'late' }), { name: 'TransactionInactiveError' });
      await assert.rejects(leaked.get('kv', 'a'), { name: 'TransactionInactiveError' });
      await assert.rejects(leaked.put('members', { roomId: '!r', userId: '@u' }), {
        name: 'TransactionInactiveError',
      });
      assert.deepEqual(await store.read(['kv'], (tx) => tx.query('kv')), [{ k: 'a' }]);
    }));

  test('a read transaction offers no writes', () =>
    h.withStore(async (store) => {
      const methods = await store.read(['kv'], async (tx) => Object.keys(tx).sort());
      assert.deepEqual(methods, ['count', 'get', 'query']);
    }));

  test('a closed store rejects new transactions', async () => {
    const store = await h.open();
    await store.close();
    await assert.rejects(
      store.read(['kv'], (tx) => tx.count('kv')),
      { name: 'DatabaseClosedError' },
    );
  });
}
