import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeFailure } from '../../src/platform/describe-failure.ts';

test('an error says its message, and its cause', () => {
  assert.equal(describeFailure(new Error('reset')), 'reset');
  assert.equal(
    describeFailure(new Error('dial failed', { cause: new Error('no route') })),
    'dial failed (cause: no route)',
  );
});

test('an event thrown by WebRTC says its type and where it came from, never "[object Event]"', () => {
  class RTCDataChannel extends EventTarget {
    readonly label = 'init';
    readonly readyState = 'closing';
  }
  const channel = new RTCDataChannel();
  const event = new Event('error');
  channel.addEventListener('error', (evt) => {
    assert.equal(describeFailure(evt), 'error event on RTCDataChannel (label="init", readyState="closing")');
  });
  channel.dispatchEvent(event);
  const withError = Object.assign(new Event('error'), { error: new Error('User-Initiated Abort') });
  assert.equal(describeFailure(withError), 'error event: User-Initiated Abort');
});

test('anything else is shown as a string', () => {
  assert.equal(describeFailure('gone'), 'gone');
  assert.equal(describeFailure(undefined), 'undefined');
});
