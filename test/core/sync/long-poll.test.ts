import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type LongPollArgs, longPoll } from '../../../src/core/sync/long-poll.ts';
import { Notifier } from '../../../src/core/events/notifier.ts';
import { FakeClock } from './fake-clock.ts';

/**
 * A compute over a counter (empty until `data` has something), and `poll`:
 * longPoll over it for @u:x with a 30 s timeout, unless `args` say otherwise.
 */
function source() {
  const state = { data: [] as string[], computes: 0 };
  const clock = new FakeClock();
  const notifier = new Notifier();
  const compute = async () => {
    state.computes += 1;
    return { result: [...state.data], empty: state.data.length === 0, rooms: new Set(['!r:x']) };
  };
  const poll = (args: Partial<LongPollArgs<string[]>> = {}) =>
    longPoll({
      clock,
      notifier,
      userId: '@u:x',
      timeoutMs: 30_000,
      compute,
      changedSince: async () => false,
      ...args,
    });
  return { state, clock, notifier, poll };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('longPoll', () => {
  test('answers at once when there is something', async () => {
    const { state, clock, poll } = source();
    state.data.push('x');
    const result = await poll();
    assert.deepEqual(result, ['x']);
    assert.equal(clock.sleeping, 0, 'no timer is left behind');
  });

  test('waits for a notice about one of its rooms, then computes again', async () => {
    const { state, clock, notifier, poll } = source();
    const waiting = poll();
    await tick();
    assert.equal(notifier.waiting, 1);
    notifier.notify({ rooms: ['!other:x'] });
    await tick();
    assert.equal(state.computes, 1, 'a notice about another room does not wake it');
    state.data.push('new');
    notifier.notify({ rooms: ['!r:x'] });
    assert.deepEqual(await waiting, ['new']);
    assert.equal(clock.sleeping, 0);
  });

  test('a wake-up that brings nothing new keeps waiting', async () => {
    const { state, notifier, poll } = source();
    const waiting = poll();
    await tick();
    notifier.notify({ users: ['@u:x'] });
    await tick();
    assert.equal(state.computes, 2);
    assert.equal(notifier.waiting, 1);
    state.data.push('later');
    notifier.notify({ users: ['@u:x'] });
    assert.deepEqual(await waiting, ['later']);
  });

  test('returns the empty answer when the timeout passes', async () => {
    const { clock, notifier, poll } = source();
    let done = false;
    const waiting = poll();
    void waiting.then(() => {
      done = true;
    });
    await clock.advance(29_999);
    assert.equal(done, false, 'it does not answer before the timeout');
    await clock.advance(1);
    assert.deepEqual(await waiting, []);
    assert.equal(notifier.waiting, 0);
  });

  test('a change that committed between compute and wait is not missed', async () => {
    const { state, poll } = source();
    let first = true;
    const changedSince = async () => {
      if (!first) return false;
      first = false;
      state.data.push('slipped in');
      return true;
    };
    const result = await poll({ changedSince });
    assert.deepEqual(result, ['slipped in']);
  });

  test('stops when the client goes away', async () => {
    const { clock, notifier, poll } = source();
    let close: () => void = () => {};
    const closed = new Promise<void>((resolve) => {
      close = resolve;
    });
    const waiting = poll({ closed });
    await tick();
    close();
    assert.deepEqual(await waiting, []);
    assert.equal(notifier.waiting, 0);
    assert.equal(clock.sleeping, 0);
  });

  test('timeout 0 computes once and answers', async () => {
    const { state, poll } = source();
    const result = await poll({ timeoutMs: 0, changedSince: async () => true });
    assert.deepEqual(result, []);
    assert.equal(state.computes, 1);
  });
});

describe('Notifier.notices', () => {
  test('counts every notice, heard or not, so a reader can tell whether anything committed since it read', () => {
    const notifier = new Notifier();
    const before = notifier.notices;
    notifier.notify({ rooms: ['!nobody-listens:x'] });
    notifier.notify({ everyone: true });
    assert.equal(notifier.notices, before + 2);
  });
});
