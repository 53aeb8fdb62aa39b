// One data-channel message per write on libp2p's WebRTC streams.
//
// @libp2p/webrtc 6 (stream.js, sendData) frames each write as a varint
// length prefix and a protobuf message and hands the data channel the two
// as two messages. Each RTCDataChannel.send is a hop to the browser's
// network thread (0.6 ms at the median under load 5, traced in the extension
// bench), and the receiver gets two message events, the second often in a
// later SCTP packet (mean 1.4 ms after the first). The receiving side
// decodes the length-prefixed protobufs from the concatenated messages
// (it-length-prefixed), so where one message ends does not matter to it:
// libp2p's own TODO there wants the same. So the streams federation uses send
// the prefix and the message together, as one message (one copy of a frame
// of at most 16 KiB). Other streams, and other transports' streams, are left
// as libp2p made them.
//
// Federation opens and serves its streams through the two functions below,
// so none is left out; they also send a yamux stream's window updates after
// the task that read its data (yamux-window.ts). Not libp2p's stream middleware (`libp2p.use`): in
// libp2p 3.3 an incoming stream appends its handler to the protocol's
// registered middleware list itself (connection.js onIncomingStream), so
// every later stream of that protocol, incoming or outgoing, would run the
// handler again.
import type {
  Connection,
  Libp2p,
  NewStreamOptions,
  Stream,
  StreamHandler,
  StreamHandlerOptions,
} from '@libp2p/interface';
import { windowUpdatesAfterTask } from './yamux-window.ts';

/** A new stream on `conn` for one of federation's protocols, each write one message. */
export async function newFederationStream(
  conn: Connection,
  protocols: string | string[],
  options: NewStreamOptions,
): Promise<Stream> {
  return oneMessagePerWrite(windowUpdatesAfterTask(await conn.newStream(protocols, options)));
}

/** Serves `protocol`'s incoming streams with `handler`, each write one message. */
export function handleFederation(
  libp2p: Pick<Libp2p, 'handle'>,
  protocol: string,
  handler: StreamHandler,
  options: StreamHandlerOptions,
): Promise<void> {
  return libp2p.handle(
    protocol,
    (stream, conn) => handler(oneMessagePerWrite(windowUpdatesAfterTask(stream)), conn),
    options,
  );
}

/** The part of @libp2p/webrtc's WebRTCStream this relies on (checked at run time). */
interface WebRtcStreamParts {
  readonly channel?: unknown;
  _sendMessage?: (data: Iterable<Uint8Array>) => void;
}

/** The bytes of one write, as WebRTCStream hands them to `_sendMessage` (a Uint8ArrayList). */
interface Joinable extends Iterable<Uint8Array> {
  subarray(): Uint8Array;
}

/** Makes `stream`, when it is a WebRTC data channel's, send each write as one message. */
export function oneMessagePerWrite(stream: Stream): Stream {
  const parts = stream as unknown as WebRtcStreamParts;
  const send = parts._sendMessage;
  // RTCDataChannel exists only in browsers (this module is shared with the Node peer).
  const { RTCDataChannel } = globalThis as { RTCDataChannel?: abstract new () => unknown };
  const isChannel = RTCDataChannel !== undefined && parts.channel instanceof RTCDataChannel;
  if (!isChannel || typeof send !== 'function') return stream;
  parts._sendMessage = (data) => {
    const joined = isJoinable(data) ? [data.subarray()] : data;
    send.call(stream, joined);
  };
  return stream;
}

function isJoinable(data: Iterable<Uint8Array>): data is Joinable {
  return typeof (data as Partial<Joinable>).subarray === 'function';
}
