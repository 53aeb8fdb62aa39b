// The build's mend of @libp2p/webrtc's dial (scripts/webrtc-init-channel-plugin.ts):
// it applies to the installed library, and the mended steps between
// "connected" and closing the signalling stream end when the other side
// closed the init channel before this side saw it open.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { initiateConnectionPath, mendInitChannelWaits } from '../../scripts/webrtc-init-channel-plugin.ts';

const installed = readFileSync(initiateConnectionPath(), 'utf8');
// The p-event the library itself imports (not a dependency of ours).
const { pEvent } = (await import(
  pathToFileURL(createRequire(initiateConnectionPath()).resolve('p-event')).href
)) as { pEvent: (emitter: EventTarget, event: string | string[], options?: object) => Promise<unknown> };

class SDPHandshakeFailedError extends Error {}

type Steps = (channel: FakeChannel, peerConnection: { connectionState: string }) => Promise<void>;

/** The dial's steps from "connected" to closing the signalling stream, as a function of the channel. */
function stepsOf(source: string, signal = new AbortController().signal): Steps {
  const from = source.indexOf("log.trace('initiator connected');");
  const to = source.indexOf("onProgress?.(new CustomProgressEvent('webrtc:close-signaling-stream'));");
  assert.ok(from > 0 && to > from, 'the steps between connected and closing the signalling stream');
  const AsyncFunction = (async () => {}).constructor as new (
    ...args: string[]
  ) => (...args: unknown[]) => Promise<void>;
  const run = new AsyncFunction(
    'channel',
    'peerConnection',
    'log',
    'pEvent',
    'signal',
    'SDPHandshakeFailedError',
    source.slice(from, to),
  );
  const log = Object.assign(() => {}, { trace: () => {} });
  return (channel, peerConnection) =>
    run(channel, peerConnection, log, pEvent, signal, SDPHandshakeFailedError);
}

const mended = (() => {
  const result = mendInitChannelWaits(installed);
  assert.ok('contents' in result, 'error' in result ? result.error : '');
  return stepsOf(result.contents);
})();

/** A data channel as the browser's: its state, and `open`/`close` events only when told. */
class FakeChannel extends EventTarget {
  readyState: 'connecting' | 'open' | 'closing' | 'closed';
  closeCalls = 0;
  constructor(state: FakeChannel['readyState'] = 'connecting') {
    super();
    this.readyState = state;
  }
  close(): void {
    this.closeCalls++;
    if (this.readyState === 'closed') return;
    this.readyState = 'closing';
  }
  /** The channel's SCTP stream reset is done (by either side): `closed`. */
  closed(): void {
    this.readyState = 'closed';
    this.dispatchEvent(new Event('close'));
  }
  opened(): void {
    this.readyState = 'open';
    this.dispatchEvent(new Event('open'));
  }
}

const connected = { connectionState: 'connected' };
const nextTask = () => new Promise<void>((resolve) => setImmediate(resolve));

test('the installed @libp2p/webrtc dial is mended line for line; text it does not expect fails', () => {
  const result = mendInitChannelWaits(installed);
  assert.ok('contents' in result);
  assert.equal(result.contents.split('\n').length, installed.split('\n').length, 'the source map still fits');
  assert.doesNotMatch(result.contents, /pEvent\(channel, 'open', \{/);
  const changed = installed.replace("if (channel.readyState !== 'open') {", 'if (!channel.isOpen) {');
  assert.match((mendInitChannelWaits(changed) as { error: string }).error, /expected one/);
});

test('an init channel the other side closed before it was seen open ends the waits (the race)', async () => {
  const channel = new FakeChannel();
  const done = mended(channel, connected);
  channel.closed();
  await done;
  assert.equal(channel.readyState, 'closed');
});

test('as shipped, the dial still waits for `open` after such a close', async () => {
  const abort = new AbortController();
  const channel = new FakeChannel();
  let finished = false;
  const done = stepsOf(installed, abort.signal)(channel, connected).then(() => {
    finished = true;
  });
  channel.closed();
  await nextTask();
  assert.equal(finished, false);
  abort.abort();
  await assert.rejects(done);
});

test('an init channel already closed, or closing, when the dial looks ends the waits too', async () => {
  await mended(new FakeChannel('closed'), connected);
  const closing = new FakeChannel('closing');
  const done = mended(closing, connected);
  closing.closed();
  await done;
});

test('a connection that failed by the time its init channel closed fails the dial', async () => {
  const channel = new FakeChannel();
  const done = mended(channel, { connectionState: 'failed' });
  channel.closed();
  await assert.rejects(done, SDPHandshakeFailedError);
});

test('an init channel that opens is closed, and the dial goes on once it is', async () => {
  const channel = new FakeChannel();
  let finished = false;
  const done = mended(channel, connected).then(() => {
    finished = true;
  });
  channel.opened();
  // Closed by this side, not yet acknowledged: still waiting.
  await nextTask();
  assert.equal(channel.closeCalls, 1);
  assert.equal(finished, false);
  channel.closed();
  await done;
  assert.equal(finished, true);
});
