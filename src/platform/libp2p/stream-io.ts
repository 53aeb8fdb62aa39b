// Reading and writing whole federation messages on a libp2p 3 stream (an
// event-based MessageStream: `send()` returns false on back-pressure, data
// arrives as 'message' events with arbitrary chunk boundaries).

import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface';
import { Uint8ArrayList } from 'uint8arraylist';
import { FrameDecoder, FrameError } from './frames.ts';
import { MessageAssembler, WireError } from './federation-wire.ts';

/** The stream ended, was reset or closed before a whole message arrived. */
export class StreamEnded extends Error {
  override readonly name = 'StreamEnded';
}

export interface Message {
  readonly head: Record<string, unknown>;
  readonly body: Uint8Array;
}

/** Reads one message; rejects with WireError, StreamEnded or the signal's reason. */
export function readMessage(stream: Stream, maxBodyBytes: number, signal: AbortSignal): Promise<Message> {
  return new Promise((resolve, reject) => {
    const frames = new FrameDecoder();
    const assembler = new MessageAssembler(maxBodyBytes);
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
      finish(() => reject(new StreamEnded(evt.error ? `stream closed: ${evt.error.message}` : 'stream closed')));
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

/** Frames are coalesced into sends of about this size: fewer muxer frames and syscalls for big bodies. */
const SEND_BATCH_BYTES = 64 * 1024;

/** Sends frames with back-pressure; stops early (without error) once `stop` is aborted. Returns true when all were sent. */
export async function writeFrames(stream: Stream, frames: Iterable<Uint8Array>, stop: AbortSignal): Promise<boolean> {
  let batch = new Uint8ArrayList();
  for (const frame of frames) {
    batch.append(frame);
    if (batch.byteLength < SEND_BATCH_BYTES) continue;
    if (!(await sendBatch(stream, batch, stop))) return false;
    batch = new Uint8ArrayList();
  }
  return batch.byteLength === 0 || sendBatch(stream, batch, stop);
}

async function sendBatch(stream: Stream, batch: Uint8ArrayList, stop: AbortSignal): Promise<boolean> {
  if (stop.aborted) return false;
  if (!stream.send(batch)) await stream.onDrain({ signal: stop });
  return true;
}
