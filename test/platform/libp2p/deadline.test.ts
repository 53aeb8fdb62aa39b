// A linked signal follows its parent until released, and aborting it leaves
// the parent alone; a deadline is one with a timer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deadline, linked } from '../../../src/platform/libp2p/deadline.ts';

test('a linked signal aborts with its parent, with the parent reason', () => {
  const parent = new AbortController();
  const link = linked(parent.signal);
  assert.equal(link.signal.aborted, false);
  parent.abort('closing');
  assert.equal(link.signal.aborted, true);
  assert.equal(link.signal.reason, 'closing');
});

test('a signal linked to an aborted parent starts aborted', () => {
  const link = linked(AbortSignal.abort('gone'));
  assert.equal(link.signal.aborted, true);
  assert.equal(link.signal.reason, 'gone');
});

test('a released link no longer follows its parent', () => {
  const parent = new AbortController();
  const link = linked(parent.signal);
  link.release();
  parent.abort();
  assert.equal(link.signal.aborted, false);
});

test('aborting a linked signal leaves its parent alone', () => {
  const parent = new AbortController();
  const link = linked(parent.signal);
  link.abort();
  assert.equal(link.signal.aborted, true);
  assert.equal(parent.signal.aborted, false);
});

test('a cleared deadline no longer follows its parent', () => {
  const parent = new AbortController();
  const limit = deadline(60_000, parent.signal);
  limit.clear();
  parent.abort();
  assert.equal(limit.signal.aborted, false);
});

test('a deadline aborts with a TimeoutError once its time is up', async () => {
  const limit = deadline(1);
  await new Promise((resolve) => limit.signal.addEventListener('abort', resolve, { once: true }));
  assert.equal((limit.signal.reason as DOMException).name, 'TimeoutError');
});
