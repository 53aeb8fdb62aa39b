// The trace a bench reads where a message's time went (src/platform/trace.ts):
// a traced write records each request with when it went out and was
// answered, and a hold with when it was asked, its work settled and it
// answered, in order on the wall clock; off, nothing is recorded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openSqliteStore } from '../../src/node/storage/sqlite-store.ts';
import { Trace, tracedStore } from '../../src/platform/trace.ts';
import { V1 } from '../core/storage/conformance/fixtures.ts';

test('a traced write records each request issued and answered, and its hold, in order', async () => {
  const trace = new Trace();
  const store = tracedStore(await openSqliteStore(':memory:', [V1]), trace);
  await store.write(['kv'], (tx) => tx.put('kv', { k: 'untraced' }));
  assert.deepEqual(trace.take(), [], 'off: nothing recorded');
  trace.start();
  let release!: (checked: string) => void;
  const checks = new Promise<string>((resolve) => {
    release = resolve;
  });
  const written = store.write(['kv'], async (tx) => {
    await Promise.all([tx.put('kv', { k: 'a' }), tx.put('kv', { k: 'b' })]);
    const held = tx.hold(checks);
    release('ok');
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
