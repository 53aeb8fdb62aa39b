// One websocket message per write on libp2p's websocket connections.
//
// @libp2p/websockets 10 (websocket-to-conn.js, sendData) hands the socket
// each piece of a write as its own message, and Noise (@libp2p/noise 17)
// writes an encrypted message as pieces: its length prefix, then the
// ciphertext, which Node's cipher gives as three more (yamux's header, the
// data, the tag). So a federation request from a Node peer reached the
// browser as four websocket messages and its window update as two, and the
// browser answered in two and two (traced in the extension-ingest bench with
// CDP's Network events). Each message is a write to the socket on Node and,
// in Chromium, a hop between the renderer and the network service with a
// `message` event of its own. Noise reads its messages from the concatenated
// bytes (a length-prefixed decoder), so where a websocket message ends does
// not matter to it; the pieces of one write are joined into one message (one
// copy of at most one write, which yamux keeps to its window).
//
// The hook is the connection encrypter: libp2p's upgrader hands it the raw
// connection, on the dialling side and the listening side alike, before
// anything is written on it. Connections of other transports (a circuit
// through a relay, WebRTC) are left as libp2p made them.
import type { ConnectionEncrypter, MessageStream } from '@libp2p/interface';

/** `factory`'s encrypter, with each write on a websocket connection it secures sent as one message. */
export function oneMessagePerWebSocketWrite<C>(
  factory: (components: C) => ConnectionEncrypter,
): (components: C) => ConnectionEncrypter {
  return (components) => {
    const encrypter = factory(components);
    const { secureInbound, secureOutbound } = encrypter;
    encrypter.secureInbound = (connection, options) =>
      secureInbound.call(encrypter, joinedWrites(connection), options);
    encrypter.secureOutbound = (connection, options) =>
      secureOutbound.call(encrypter, joinedWrites(connection), options);
    return encrypter;
  };
}

/** The pieces of one write, as AbstractMessageStream hands them to `sendData` (a Uint8ArrayList). */
interface Pieces extends Iterable<Uint8Array> {
  readonly byteLength: number;
  subarray(): Uint8Array;
}

/** The part of @libp2p/websockets' connection this relies on (checked at run time). */
interface WebSocketConnParts {
  readonly websocket?: { readonly send?: unknown };
  sendData?: (data: Iterable<Uint8Array> & { readonly byteLength: number }) => unknown;
}

/** Makes `connection`, when it is a websocket's, send each write as one message. */
export function joinedWrites(connection: MessageStream): MessageStream {
  const parts = connection as unknown as WebSocketConnParts;
  const send = parts.sendData;
  if (typeof parts.websocket?.send !== 'function' || typeof send !== 'function') return connection;
  parts.sendData = (data) => {
    if (!isPieces(data)) return send.call(connection, data);
    const joined = data.subarray();
    return send.call(connection, {
      byteLength: joined.byteLength,
      [Symbol.iterator]: () => [joined].values(),
    });
  };
  return connection;
}

function isPieces(data: Iterable<Uint8Array>): data is Pieces {
  return typeof (data as Partial<Pieces>).subarray === 'function';
}
