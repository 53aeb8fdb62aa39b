// The trace a bench reads where a message's time went (src/platform/trace.ts):
// off, a transaction goes to the store beneath untouched; on, a write
// records each request with when it went out and was answered, and a hold
// with when it was asked, its work settled and it answered, in order on the
// wall clock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Store, WriteTx } from '../../src/core/storage/port.ts';
import { openSqliteStore } from '../../src/node/storage/sqlite-store.ts';
import { Trace, tracedStore, wallClock } from '../../src/platform/trace.ts';
import { V1 } from '../core/storage/conformance/fixtures.ts';

/** `inner`, remembering the last transaction object it handed a write's function. */
function handingOut(inner: Store): { store: Store; last: () => WriteTx | undefined } {
  let handed: WriteTx | undefined;
  return {
    store: {
      ...inner,
      read: (tables, fn) => inner.read(tables, fn),
      write: (tables, fn) =>
        inner.write(tables, (tx) => {
          handed = tx;
          return fn(tx);
        }),
      close: () => inner.close(),
    },
    last: () => handed,
  };
}

test('off, a write gets the transaction of the store beneath, untouched', async () => {
  const trace = new Trace();
  const inner = handingOut(await openSqliteStore(':memory:', [V1]));
  const store = tracedStore(inner.store, trace);
  const got = await store.write(['kv'], async (tx) => {
    await tx.put('kv', { k: 'untraced' });
    return tx;
  });
  assert.equal(got, inner.last(), 'the very transaction object of the store beneath');
  await store.close();
});

test('on, a write records each request issued and answered, and its hold, in order', async () => {
  const trace = new Trace();
  const store = tracedStore(await openSqliteStore(':memory:', [V1]), trace);
  trace.start();
  let release!: (checked: string) => void;
  const checks = new Promise<string>((resolve) => {
    release = resolve;
  });
  let released = 0;
  const written = store.write(['kv'], async (tx) => {
    await Promise.all([tx.put('kv', { k: 'a' }), tx.put('kv', { k: 'b' })]);
    const held = tx.hold(checks);
    // Released a turn after the hold was asked: its work settles after that, and the hold after it.
    setImmediate(() => {
      released = wallClock();
      release('ok');
    });
    return held;
  });
  assert.equal(await written, 'ok');
  const [span] = trace.take();
  assert.ok(span);
  assert.deepEqual(span.requests, ['put kv', 'put kv']);
  const { timeline, opened, returned } = span;
  assert.ok(timeline?.hold && opened !== undefined && returned !== undefined);
  const [first, second] = timeline.issued;
  const { asked, settled, answered } = timeline.hold;
  assert.ok(settled !== undefined && answered !== undefined);
  const inOrder = [
    span.start,
    opened,
    first!,
    second!,
    ...timeline.answered.map((at) => at!),
    asked,
    released,
    settled,
    answered,
    returned,
    span.end,
  ];
  assert.deepEqual(
    inOrder,
    [...inOrder].sort((x, y) => x - y),
    `in order: ${inOrder.join(', ')}`,
  );
  await store.close();
});
