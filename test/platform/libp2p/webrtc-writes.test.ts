// One data-channel message per write (webrtc-writes.ts), on @libp2p/webrtc's
// own stream class over two linked stand-in data channels: each write leaves
// as one message, and the other side reads the same bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultLogger } from '@libp2p/logger';
import type { Connection, Stream, StreamHandler } from '@libp2p/interface';
// Not among the package's exports: the class libp2p makes for each data channel.
import { createStream } from '../../../node_modules/@libp2p/webrtc/dist/src/stream.js';
import {
  handleFederation,
  newFederationStream,
  oneMessagePerWrite,
} from '../../../src/platform/libp2p/webrtc-writes.ts';
import { received } from '../../support/stream-bytes.ts';

/** The part of RTCDataChannel WebRTCStream uses; `peer` gets what `send` sends. */
class FakeChannel {
  readonly id = 1;
  readonly label = '';
  binaryType = 'blob';
  readyState = 'open';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  onmessage: ((evt: { data: ArrayBuffer }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onbufferedamountlow: (() => void) | null = null;
  peer: FakeChannel | undefined;
  readonly sent: Uint8Array[] = [];
  send(data: Uint8Array): void {
    const copy = data.slice();
    this.sent.push(copy);
    this.peer?.onmessage?.({ data: copy.buffer });
  }
  close(): void {
    this.readyState = 'closed';
  }
  addEventListener(): void {}
  removeEventListener(): void {}
}

function linkedStreams(): { a: Stream; b: Stream; aChannel: FakeChannel } {
  const aChannel = new FakeChannel();
  const bChannel = new FakeChannel();
  aChannel.peer = bChannel;
  bChannel.peer = aChannel;
  const log = defaultLogger().forComponent('test');
  const make = (channel: FakeChannel, direction: 'inbound' | 'outbound') =>
    createStream({ channel: channel as never, direction, log }) as unknown as Stream;
  return { a: make(aChannel, 'outbound'), b: make(bChannel, 'inbound'), aChannel };
}

test('a write on a WebRTC stream leaves as one data-channel message and arrives whole', async () => {
  const globals = globalThis as { RTCDataChannel?: unknown };
  const before = globals.RTCDataChannel;
  globals.RTCDataChannel = FakeChannel;
  try {
    const { a, b, aChannel } = linkedStreams();
    const payload = new TextEncoder().encode('{"pdus":[]}'.repeat(90));

    // As libp2p makes it: the length prefix and the message, two sends.
    const plain = received(b, payload.length);
    a.send(payload);
    assert.deepEqual(await plain, payload);
    assert.equal(aChannel.sent.length, 2);

    oneMessagePerWrite(a);
    aChannel.sent.length = 0;
    const joined = received(b, payload.length);
    a.send(payload);
    assert.deepEqual(await joined, payload);
    assert.equal(aChannel.sent.length, 1, 'one message for one write');
  } finally {
    globals.RTCDataChannel = before;
  }
});

test("federation's streams, opened or served, send each write as one message", async () => {
  const globals = globalThis as { RTCDataChannel?: unknown };
  const before = globals.RTCDataChannel;
  globals.RTCDataChannel = FakeChannel;
  try {
    const payload = new TextEncoder().encode('{"pdus":[]}'.repeat(90));
    const sentOnce = async (stream: Stream, channel: FakeChannel, peer: Stream) => {
      const arrived = received(peer, payload.length);
      stream.send(payload);
      assert.deepEqual(await arrived, payload);
      return channel.sent.length;
    };

    // Opened: the stream libp2p made for newStream.
    const opened = linkedStreams();
    const conn = { newStream: async () => opened.a } as unknown as Connection;
    const stream = await newFederationStream(conn, '/test/1.0.0', {});
    assert.equal(await sentOnce(stream, opened.aChannel, opened.b), 1);

    // Served: the stream libp2p hands the protocol's handler.
    const served = linkedStreams();
    let libp2pHandler: StreamHandler | undefined;
    const handed = Promise.withResolvers<Stream>();
    const libp2p = {
      handle: async (_protocol: string | string[], handler: StreamHandler) => {
        libp2pHandler = handler;
      },
    };
    await handleFederation(libp2p, '/test/1.0.0', (s) => handed.resolve(s), {});
    await libp2pHandler!(served.a, conn);
    assert.equal(await sentOnce(await handed.promise, served.aChannel, served.b), 1);
  } finally {
    globals.RTCDataChannel = before;
  }
});

test('a stream that is not a data channel is left as it is', () => {
  const stream = { _sendMessage() {} } as unknown as Stream;
  const send = (stream as unknown as { _sendMessage: unknown })._sendMessage;
  assert.equal(oneMessagePerWrite(stream), stream);
  assert.equal((stream as unknown as { _sendMessage: unknown })._sendMessage, send);
});
