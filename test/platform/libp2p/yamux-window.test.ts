// Yamux's window updates after the task that read the data (yamux-window.ts),
// on @libp2p/yamux's own muxers over a linked pair of connections: the
// reader has the data before any update leaves, the updates of one task are
// one, and a transfer larger than the window still completes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Stream, StreamMessageEvent } from '@libp2p/interface';
import { multiaddrConnectionPair } from '@libp2p/utils';
import { yamux } from '@libp2p/yamux';
import { windowUpdatesAfterTask } from '../../../src/platform/libp2p/yamux-window.ts';

/** A yamux stream from `a` to `b`; `b`'s window updates counted as yamux sends them. */
async function streamPair(): Promise<{ a: Stream; b: Stream; updates: () => number }> {
  const [outbound, inbound] = multiaddrConnectionPair();
  // No keep-alive pings: their timer would keep the test's process running.
  const client = yamux({ enableKeepAlive: false })().createStreamMuxer(outbound);
  const server = yamux({ enableKeepAlive: false })().createStreamMuxer(inbound);
  const incoming = new Promise<Stream>((resolve) => {
    server.addEventListener('stream', (evt) => resolve(evt.detail), { once: true });
  });
  const a = await client.createStream();
  // Yamux announces a stream with its first frame.
  a.send(new Uint8Array([0]));
  const b = await incoming;
  await new Promise((resolve) => b.addEventListener('message', resolve, { once: true }));
  let sent = 0;
  const parts = b as unknown as { sendWindowUpdate: () => void };
  const original = parts.sendWindowUpdate;
  parts.sendWindowUpdate = function (this: unknown) {
    sent++;
    original.call(this);
  };
  return { a, b: windowUpdatesAfterTask(b), updates: () => sent };
}

const nextTask = () => new Promise((resolve) => setImmediate(resolve));

test("a data frame's window update leaves after the task that read it, one for the frames of one task", async () => {
  const { a, b, updates } = await streamPair();
  await nextTask();
  const before = updates();
  const seen: number[] = [];
  const arrived = new Promise<void>((resolve) => {
    let bytes = 0;
    b.addEventListener('message', (evt: StreamMessageEvent) => {
      bytes += evt.data.byteLength;
      seen.push(updates() - before);
      if (bytes === 2 * 40_000) resolve();
    });
  });
  a.send(new Uint8Array(40_000).fill(1));
  a.send(new Uint8Array(40_000).fill(2));
  await arrived;
  assert.deepEqual(seen, [0, 0], 'no update sent while the data was being read');
  await nextTask();
  assert.equal(updates() - before, 1);
});

test('a transfer larger than the initial window (256 KiB) completes', async () => {
  const { a, b } = await streamPair();
  const total = 2 * 1024 * 1024;
  const done = new Promise<number>((resolve) => {
    let bytes = 0;
    b.addEventListener('message', (evt: StreamMessageEvent) => {
      bytes += evt.data.byteLength;
      if (bytes >= total) resolve(bytes);
    });
  });
  const chunk = new Uint8Array(64 * 1024);
  for (let sent = 0; sent < total; sent += chunk.length) {
    if (!a.send(chunk)) await a.onDrain();
  }
  assert.equal(await done, total);
});

test('a stream that is not a yamux stream is left as it was', () => {
  const stream = { sendWindowUpdate: () => {}, status: 'open' };
  const update = stream.sendWindowUpdate;
  assert.equal(windowUpdatesAfterTask(stream as never), stream);
  assert.equal(stream.sendWindowUpdate, update);
});
