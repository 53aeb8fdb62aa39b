// Reading and writing whole federation messages on a libp2p 3 stream (an
// event-based MessageStream: `send()` returns false on back-pressure, data
// arrives as 'message' events with arbitrary chunk boundaries).

import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface';
import { type Frame, FrameDecoder, FrameError, packFrames } from './frames.ts';
import { MessageAssembler, WireError } from './federation-wire.ts';

/** The stream ended, was reset or closed before a whole message arrived. */
export class StreamEnded extends Error {
  override readonly name = 'StreamEnded';
}

export interface Message {
  readonly head: Record<string, unknown>;
  readonly body: Uint8Array;
}

/**
 * Reads one message; rejects with WireError, StreamEnded or the signal's
 * reason. `admitBody` (MessageAssembler) may refuse the declared body length.
 */
export function readMessage(
  stream: Stream,
  maxBodyBytes: number,
  signal: AbortSignal,
  admitBody?: (declared: number) => boolean,
): Promise<Message> {
  return new Promise((resolve, reject) => {
    const frames = new FrameDecoder();
    const assembler = new MessageAssembler(maxBodyBytes, admitBody);
    const onMessage = (evt: StreamMessageEvent) => {
      try {
        const chunk = evt.data instanceof Uint8Array ? evt.data : evt.data.subarray();
        for (const frame of frames.push(chunk)) {
          const body = assembler.add(frame);
          if (body) return finish(() => resolve({ head: assembler.head!, body }));
        }
      } catch (err) {
        const wireError = err instanceof FrameError ? new WireError('malformed', err.message) : err;
        finish(() => reject(wireError));
      }
    };
    const onEnd = () => finish(() => reject(new StreamEnded('stream ended before the message was complete')));
    const onClose = (evt: StreamCloseEvent) =>
      finish(() =>
        reject(new StreamEnded(evt.error ? `stream closed: ${evt.error.message}` : 'stream closed')),
      );
    const onAbort = () => finish(() => reject(signal.reason));
    const finish = (settle: () => void) => {
      stream.removeEventListener('message', onMessage);
      stream.removeEventListener('end', onEnd);
      stream.removeEventListener('close', onClose);
      signal.removeEventListener('abort', onAbort);
      settle();
    };
    if (signal.aborted) return onAbort();
    stream.addEventListener('message', onMessage);
    stream.addEventListener('end', onEnd);
    stream.addEventListener('close', onClose);
    signal.addEventListener('abort', onAbort);
  });
}

/** Sends frames with back-pressure; stops early (without error) once `stop` is aborted. Returns true when all were sent. */
export async function writeFrames(
  stream: Stream,
  frames: Iterable<Frame>,
  stop: AbortSignal,
): Promise<boolean> {
  for (const chunk of packFrames(frames)) {
    if (stop.aborted) return false;
    if (!stream.send(chunk)) await stream.onDrain({ signal: stop });
  }
  return true;
}
