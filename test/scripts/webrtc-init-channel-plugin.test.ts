// The build's mend of @libp2p/webrtc's dial (scripts/webrtc-init-channel-plugin.ts):
// it applies to the installed library, and the mended waits end when the
// other side closed the init channel before this side saw it open.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { mendInitChannelWaits } from '../../scripts/webrtc-init-channel-plugin.ts';

const require = createRequire(import.meta.url);
const webrtcDist = dirname(require.resolve('@libp2p/webrtc'));
const installed = readFileSync(join(webrtcDist, 'private-to-private', 'initiate-connection.js'), 'utf8');
// The p-event the library itself imports (not a dependency of ours).
const { pEvent } = (await import(
  pathToFileURL(createRequire(join(webrtcDist, 'index.js')).resolve('p-event')).href
)) as { pEvent: (emitter: EventTarget, event: string | string[], options?: object) => Promise<unknown> };

/** The mended dial's steps from "connected" to closing the signalling stream, as a function of the channel. */
function waitsOnInitChannel(source: string) {
  const from = source.indexOf("log.trace('initiator connected');");
  const to = source.indexOf("onProgress?.(new CustomProgressEvent('webrtc:close-signaling-stream'));");
  assert.ok(from > 0 && to > from, 'the steps between connected and closing the signalling stream');
  const AsyncFunction = (async () => {}).constructor as new (
    ...args: string[]
  ) => (...args: unknown[]) => Promise<void>;
  return new AsyncFunction('channel', 'log', 'pEvent', 'signal', source.slice(from, to));
}

/** A data channel as the browser's: its state, and `open`/`close` events only when told. */
class FakeChannel extends EventTarget {
  readyState: 'connecting' | 'open' | 'closing' | 'closed' = 'connecting';
  closeCalls = 0;
  close(): void {
    this.closeCalls++;
    if (this.readyState === 'closed') return;
    this.readyState = 'closing';
  }
  /** The channel's SCTP stream reset is done (by either side): `closed`, never having been `open`. */
  closed(): void {
    this.readyState = 'closed';
    this.dispatchEvent(new Event('close'));
  }
  opened(): void {
    this.readyState = 'open';
    this.dispatchEvent(new Event('open'));
  }
}

const log = Object.assign(() => {}, { trace: () => {} });
const nextTask = () => new Promise<void>((resolve) => setImmediate(resolve));

test('the installed @libp2p/webrtc dial is mended; text it does not expect fails the build', () => {
  const mended = mendInitChannelWaits(installed);
  assert.ok('contents' in mended, 'error' in mended ? mended.error : '');
  assert.doesNotMatch(mended.contents, /pEvent\(channel, 'open', \{/);
  assert.match(mended.contents, /pEvent\(channel, \['open', 'close'\], \{ signal \}\)/);
  assert.ok(
    'error' in mendInitChannelWaits(installed.replace("'wait for init channel to open'", "'waiting'")),
  );
});

test('an init channel the other side closed before it was seen open ends the waits (the race)', async () => {
  const mended = mendInitChannelWaits(installed);
  assert.ok('contents' in mended);
  const channel = new FakeChannel();
  const done = waitsOnInitChannel(mended.contents)(channel, log, pEvent, new AbortController().signal);
  channel.closed();
  await done;
  assert.equal(channel.readyState, 'closed');
});

test('as shipped, the dial still waits for `open` after such a close', async () => {
  const channel = new FakeChannel();
  const abort = new AbortController();
  let finished = false;
  const done = waitsOnInitChannel(installed)(channel, log, pEvent, abort.signal).then(() => {
    finished = true;
  });
  channel.closed();
  await nextTask();
  assert.equal(finished, false);
  abort.abort();
  await assert.rejects(done);
});

test('an init channel that opens is closed, and the dial goes on once it is', async () => {
  const mended = mendInitChannelWaits(installed);
  assert.ok('contents' in mended);
  const channel = new FakeChannel();
  let finished = false;
  const done = waitsOnInitChannel(mended.contents)(channel, log, pEvent, new AbortController().signal).then(
    () => {
      finished = true;
    },
  );
  channel.opened();
  // Closed by this side, not yet acknowledged: still waiting.
  await nextTask();
  assert.equal(channel.closeCalls, 1);
  assert.equal(finished, false);
  channel.closed();
  await done;
  assert.equal(finished, true);
});
