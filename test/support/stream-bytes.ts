// The bytes a libp2p stream or connection receives, gathered until `bytes`
// have come, whatever messages they came in: for tests of how writes are cut
// into messages (websocket-writes, webrtc-writes).
import type { StreamMessageEvent } from '@libp2p/interface';

/** Anything that dispatches libp2p's `message` events (a Stream, a MessageStream). */
interface MessageSource {
  addEventListener(type: 'message', listener: (evt: StreamMessageEvent) => void): void;
}

export const received = (stream: MessageSource, bytes: number): Promise<Uint8Array> =>
  new Promise((resolve) => {
    const parts: Uint8Array[] = [];
    let length = 0;
    stream.addEventListener('message', (evt: StreamMessageEvent) => {
      const chunk = evt.data instanceof Uint8Array ? evt.data : evt.data.subarray();
      parts.push(chunk);
      length += chunk.length;
      if (length >= bytes) resolve(new Uint8Array(Buffer.concat(parts)));
    });
  });
