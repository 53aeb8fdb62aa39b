import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_TYPING_TIMEOUT_MS, TypingTracker } from '../../../src/core/sync/typing.ts';
import { FakeClock } from './fake-clock.ts';

function tracker() {
  const clock = new FakeClock();
  const changes: string[] = [];
  const typing = new TypingTracker(clock, (roomId) => changes.push(roomId));
  return { clock, changes, typing };
}

describe('TypingTracker', () => {
  test('lists typers per room and tells about each change', () => {
    const { typing, changes } = tracker();
    typing.set('!a:x', '@alice:x', true, 10_000);
    typing.set('!a:x', '@bob:x', true, 10_000);
    typing.set('!b:x', '@alice:x', true, 10_000);
    assert.deepEqual(typing.typers('!a:x'), ['@alice:x', '@bob:x']);
    typing.set('!a:x', '@alice:x', false);
    assert.deepEqual(typing.typers('!a:x'), ['@bob:x']);
    assert.deepEqual(changes, ['!a:x', '!a:x', '!b:x', '!a:x']);
  });

  test('refreshing a typer changes nothing visible', () => {
    const { typing, changes } = tracker();
    typing.set('!a:x', '@alice:x', true, 10_000);
    const serial = typing.serial;
    typing.set('!a:x', '@alice:x', true, 10_000);
    assert.equal(typing.serial, serial);
    assert.deepEqual(changes, ['!a:x']);
  });

  test('typing expires after its timeout and the room is reported changed', async () => {
    const { typing, clock, changes } = tracker();
    typing.set('!a:x', '@alice:x', true, 5_000);
    typing.set('!a:x', '@bob:x', true, 20_000);
    await clock.advance(4_999);
    assert.deepEqual(typing.typers('!a:x'), ['@alice:x', '@bob:x']);
    await clock.advance(1);
    assert.deepEqual(typing.typers('!a:x'), ['@bob:x']);
    await clock.advance(15_000);
    assert.deepEqual(typing.typers('!a:x'), []);
    assert.deepEqual(changes, ['!a:x', '!a:x', '!a:x', '!a:x']);
    typing.close();
  });

  test('timeouts are capped', async () => {
    const { typing, clock } = tracker();
    typing.set('!a:x', '@alice:x', true, 10 * MAX_TYPING_TIMEOUT_MS);
    await clock.advance(MAX_TYPING_TIMEOUT_MS);
    assert.deepEqual(typing.typers('!a:x'), []);
  });

  test('changedSince names the rooms that changed after a serial', () => {
    const { typing } = tracker();
    typing.set('!a:x', '@alice:x', true);
    const serial = typing.serial;
    typing.set('!b:x', '@alice:x', true);
    assert.deepEqual(typing.changedSince(serial, ['!a:x', '!b:x', '!c:x']), ['!b:x']);
    assert.deepEqual(typing.changedSince(typing.serial, ['!a:x', '!b:x']), []);
    typing.close();
  });

  test('a serial of another process counts as unknown: every room is reported', () => {
    const { typing } = tracker();
    assert.deepEqual(typing.changedSince(5, ['!a:x', '!b:x']), ['!a:x', '!b:x']);
    assert.deepEqual(typing.changedSince(typing.serial + 1000, ['!a:x']), ['!a:x']);
  });

  test('close stops the expiry timer', async () => {
    const { typing, clock } = tracker();
    typing.set('!a:x', '@alice:x', true, 1_000);
    assert.equal(clock.sleeping, 1);
    typing.close();
    await clock.advance(0);
    assert.equal(clock.sleeping, 0);
  });
});
