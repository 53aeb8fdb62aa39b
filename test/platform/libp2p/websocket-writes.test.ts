// One websocket message per write (websocket-writes.ts), on @libp2p/websockets'
// own connection class over two linked stand-in sockets, secured by the real
// Noise: each encrypted write leaves as one message, and the other side
// reads the same bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { ConnectionEncrypter, MessageStream } from '@libp2p/interface';
import { defaultLogger } from '@libp2p/logger';
import { noise } from '@libp2p/noise';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { Uint8ArrayList } from 'uint8arraylist';
// Not among the package's exports: the connection libp2p makes for each websocket.
import { webSocketToMaConn } from '../../../node_modules/@libp2p/websockets/dist/src/websocket-to-conn.js';
import { joinedWrites, oneMessagePerWebSocketWrite } from '../../../src/platform/libp2p/websocket-writes.ts';
import { received } from '../../support/stream-bytes.ts';

/** The part of WebSocket the connection uses; `peer` gets what `send` sends, a turn later. */
class FakeWebSocket {
  readonly bufferedAmount = 0;
  peer: FakeWebSocket | undefined;
  readonly sent: Uint8Array[] = [];
  readonly listeners: ((evt: { data: ArrayBuffer }) => void)[] = [];
  send(data: ArrayBuffer | Uint8Array): void {
    const copy = new Uint8Array(data).slice();
    this.sent.push(copy);
    const peer = this.peer;
    setImmediate(() => {
      for (const listener of peer?.listeners ?? []) listener({ data: copy.buffer });
    });
  }
  addEventListener(type: string, listener: (evt: { data: ArrayBuffer }) => void): void {
    if (type === 'message') this.listeners.push(listener);
  }
  close(): void {}
}

function linkedConnections() {
  const aSocket = new FakeWebSocket();
  const bSocket = new FakeWebSocket();
  aSocket.peer = bSocket;
  bSocket.peer = aSocket;
  const make = (websocket: FakeWebSocket, direction: 'inbound' | 'outbound') =>
    webSocketToMaConn({
      websocket: websocket as never,
      remoteAddr: multiaddr('/ip4/127.0.0.1/tcp/1/ws'),
      direction,
      log: defaultLogger().forComponent('test'),
    }) as MessageStream;
  return { a: make(aSocket, 'outbound'), b: make(bSocket, 'inbound'), aSocket };
}

test('a write of several pieces on a websocket connection leaves as one message', async () => {
  const { a, b, aSocket } = linkedConnections();
  const pieces = [new Uint8Array([1, 2]), new Uint8Array([3, 4, 5]), new Uint8Array([6])];

  // As libp2p makes it: one message per piece.
  const plain = received(b, 6);
  a.send(new Uint8ArrayList(...pieces));
  assert.deepEqual(await plain, new Uint8Array([1, 2, 3, 4, 5, 6]));
  assert.equal(aSocket.sent.length, 3);

  assert.equal(joinedWrites(a), a);
  aSocket.sent.length = 0;
  const joined = received(b, 9);
  a.send(new Uint8ArrayList(...pieces));
  a.send(new Uint8Array([7, 8, 9]));
  assert.deepEqual(await joined, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]));
  assert.equal(aSocket.sent.length, 2);
  assert.deepEqual(aSocket.sent[0], new Uint8Array([1, 2, 3, 4, 5, 6]));
});

test('a connection that is not a websocket is left as it was', () => {
  const stream = { send: () => true, sendData: () => ({ sentBytes: 0, canSendMore: true }) };
  const sendData = stream.sendData;
  assert.equal(joinedWrites(stream as never), stream);
  assert.equal(stream.sendData, sendData);
});

test('Noise over the wrapped encrypter: each encrypted write is one websocket message, read whole', async () => {
  const encrypter = async (): Promise<ConnectionEncrypter> => {
    const privateKey = await generateKeyPair('Ed25519');
    const components = {
      privateKey,
      peerId: peerIdFromPrivateKey(privateKey),
      logger: defaultLogger(),
      upgrader: { getStreamMuxers: () => new Map() },
    };
    return oneMessagePerWebSocketWrite(noise())(components as never);
  };
  const [dialer, listener] = await Promise.all([encrypter(), encrypter()]);
  const { a, b, aSocket } = linkedConnections();
  const [secureA, secureB] = await Promise.all([dialer.secureOutbound(a), listener.secureInbound(b)]);

  aSocket.sent.length = 0;
  // A yamux frame's shape: a header and its data, one write of two pieces (Node's cipher encrypts them apart).
  const header = new Uint8Array(12).fill(7);
  const data = new TextEncoder().encode('{"pdus":[]}'.repeat(5000));
  const arrived = received(secureB.connection, header.length + data.length);
  secureA.connection.send(new Uint8ArrayList(header, data));
  assert.deepEqual(await arrived, new Uint8Array(Buffer.concat([header, data])));
  // 55,012 bytes: one Noise message (at most 65,535), sent as one websocket message.
  assert.equal(aSocket.sent.length, 1);
});
