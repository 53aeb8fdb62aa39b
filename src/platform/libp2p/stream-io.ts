// Reading and writing whole federation messages on a libp2p 3 stream (an
// event-based MessageStream: `send()` returns false on back-pressure, data
// arrives as 'message' events with arbitrary chunk boundaries).

import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface';
import { dataFrames, type Frame, FrameDecoder, FrameError, FrameKind, packFrames } from './frames.ts';
import {
  type AdmitBody,
  declaredLength,
  headObject,
  MessageAssembler,
  WireError,
} from './federation-wire.ts';

/**
 * Hands each chunk that arrives to `take` until it returns a value (the
 * answer of a one-answer protocol: TURN credentials, a TURN hint); resolves
 * undefined if the stream closes first, rejects if `take` throws or the
 * signal aborts.
 */
export function readAnswer<T>(
  stream: Stream,
  signal: AbortSignal,
  take: (chunk: Uint8Array) => T | undefined,
): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const finish = (settle: () => void) => {
      stream.removeEventListener('message', onMessage);
      stream.removeEventListener('close', onClose);
      signal.removeEventListener('abort', onAbort);
      settle();
    };
    const onMessage = (evt: StreamMessageEvent) => {
      try {
        const answer = take(evt.data instanceof Uint8Array ? evt.data : evt.data.subarray());
        if (answer !== undefined) finish(() => resolve(answer));
      } catch (err) {
        finish(() => reject(err));
      }
    };
    const onClose = () => finish(() => resolve(undefined));
    const onAbort = () => finish(() => reject(signal.reason));
    stream.addEventListener('message', onMessage);
    stream.addEventListener('close', onClose);
    signal.addEventListener('abort', onAbort);
  });
}

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
  admitBody?: AdmitBody,
): Promise<Message> {
  return new Promise((resolve, reject) => {
    const frames = new FrameDecoder();
    const assembler = new MessageAssembler(maxBodyBytes, admitBody);
    const onMessage = (evt: StreamMessageEvent) => {
      try {
        const chunk = evt.data instanceof Uint8Array ? evt.data : evt.data.subarray();
        const arrived = frames.push(chunk);
        for (const [i, frame] of arrived.entries()) {
          const body = assembler.add(frame);
          if (!body) continue;
          // A session's next message comes only after this one is answered (FEDERATION_SESSION_PROTOCOL).
          if (i < arrived.length - 1 || !frames.idle)
            throw new WireError('malformed', 'data after the end of the message');
          return finish(() => resolve({ head: assembler.head!, body }));
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

/**
 * Waits for a session's next message (FEDERATION_SESSION_PROTOCOL) without
 * taking any of it: true once bytes have arrived (left in the stream's buffer
 * for readMessage), false when the stream ends or closes first, or nothing
 * comes for `idleMs`.
 */
export function awaitMessage(stream: Stream, idleMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (stream.readBufferLength > 0) return resolve(true);
    if (stream.readStatus !== 'readable' || stream.status !== 'open') return resolve(false);
    const onMessage = (evt: StreamMessageEvent) => {
      finish(true);
      // No 'message' listener is left, so the stream holds the bytes until the reader attaches.
      stream.unshift(evt.data);
    };
    const onEnd = () => finish(false);
    const timer = setTimeout(onEnd, idleMs);
    const finish = (arrived: boolean) => {
      clearTimeout(timer);
      stream.removeEventListener('message', onMessage);
      stream.removeEventListener('end', onEnd);
      stream.removeEventListener('close', onEnd);
      resolve(arrived);
    };
    stream.addEventListener('message', onMessage);
    stream.addEventListener('end', onEnd);
    stream.addEventListener('close', onEnd);
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

/** A message read as it arrives: the HEAD at once, the body's bytes as they come. */
export interface StreamingMessage {
  readonly head: Record<string, unknown>;
  readonly length: number;
  /** Iterate once; rejects as readMessage does, or with `idleError()`; stopping early resets the stream. */
  readonly body: AsyncIterable<Uint8Array>;
}

export interface StreamingReadOptions {
  readonly maxBodyBytes: number;
  /** Rejects the head when aborted (timeout, the transport closing); the body is then the caller's to end. */
  readonly signal: AbortSignal;
  /** While the reader waits for bytes, none for this long ends the body with `idleError()`. */
  readonly idleTimeoutMs: number;
  readonly idleError: () => Error;
}

/**
 * Bytes held for a reader slower than the peer; past it the stream is paused
 * (the muxer's window then stops the peer). 1 MiB cost about a third of the
 * throughput on loopback (5.5 against 8-9 MB/s for 32 MiB); 4 MiB is the
 * compromise.
 */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;

/**
 * What a paused stream may still take in before libp2p resets it: yamux lets
 * a fast peer run up to its largest window (16 MiB) ahead, which must not
 * reset a healthy transfer. It bounds what one transfer can make us hold.
 */
const PAUSED_BUFFER_BYTES = 16 * 1024 * 1024 + HIGH_WATER_BYTES;

/**
 * Reads one message without assembling its body: at most about
 * HIGH_WATER_BYTES plus one muxer window (PAUSED_BUFFER_BYTES) are ever held,
 * whatever its length.
 * The declared length is enforced as readMessage does (a longer body or an END
 * before it is a WireError), so the body's last chunk is only ever handed out
 * by a message that is whole.
 */
export function readStreaming(stream: Stream, options: StreamingReadOptions): Promise<StreamingMessage> {
  const { signal } = options;
  stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength, PAUSED_BUFFER_BYTES);
  return new Promise((resolveHead, rejectHead) => {
    const frames = new FrameDecoder();
    const queue: Uint8Array[] = [];
    let queued = 0;
    let headSeen = false;
    let declared = 0;
    let received = 0;
    let complete = false;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;

    const fail = (err: unknown) => {
      if (failure || complete) return;
      failure = err instanceof Error ? err : new Error(String(err));
      detach();
      if (!headSeen) rejectHead(failure);
      wake?.();
    };
    const onFrame = (frame: Frame) => {
      if (!headSeen) {
        const head = headObject(frame);
        const length = declaredLength(head, options.maxBodyBytes);
        headSeen = true;
        declared = length;
        signal.removeEventListener('abort', onAbort);
        resolveHead({ head, length, body: body() });
        return;
      }
      if (complete) throw new WireError('malformed', 'data after the end of the message');
      if (frame.kind === FrameKind.data) {
        received += frame.payload.length;
        if (received > declared) throw new WireError('malformed', 'body longer than its declared length');
        queue.push(frame.payload);
        queued += frame.payload.length;
        if (queued > HIGH_WATER_BYTES && stream.readStatus === 'readable') stream.pause();
      } else if (frame.kind === FrameKind.end) {
        if (received !== declared) throw new WireError('malformed', 'body shorter than its declared length');
        complete = true;
        detach();
      } else throw new WireError('malformed', 'second HEAD frame');
    };
    const onMessage = (evt: StreamMessageEvent) => {
      try {
        const chunk = evt.data instanceof Uint8Array ? evt.data : evt.data.subarray();
        for (const frame of frames.push(chunk)) onFrame(frame);
        wake?.();
      } catch (err) {
        fail(err instanceof FrameError ? new WireError('malformed', err.message) : err);
      }
    };
    const onEnd = () => fail(new StreamEnded('stream ended before the message was complete'));
    const onClose = (evt: StreamCloseEvent) =>
      fail(new StreamEnded(evt.error ? `stream closed: ${evt.error.message}` : 'stream closed'));
    const onAbort = () => fail(signal.reason);
    const detach = () => {
      stream.removeEventListener('message', onMessage);
      stream.removeEventListener('end', onEnd);
      stream.removeEventListener('close', onClose);
      signal.removeEventListener('abort', onAbort);
    };

    async function* body(): AsyncGenerator<Uint8Array> {
      try {
        while (true) {
          const chunk = queue.shift();
          if (chunk) {
            queued -= chunk.length;
            if (queued <= HIGH_WATER_BYTES / 2 && stream.readStatus === 'paused') stream.resume();
            yield chunk;
            continue;
          }
          if (failure) throw failure;
          if (complete) return;
          await nextArrival();
        }
      } finally {
        // Stopped early, or failed: the peer must stop sending.
        if (!complete || failure) {
          detach();
          stream.abort(new Error('body not read to its end'));
        }
      }
    }

    const nextArrival = () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => fail(options.idleError()), options.idleTimeoutMs);
        wake = () => {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        };
      });

    if (signal.aborted) return onAbort();
    stream.addEventListener('message', onMessage);
    stream.addEventListener('end', onEnd);
    stream.addEventListener('close', onClose);
    signal.addEventListener('abort', onAbort);
  });
}

/**
 * Sends a message whose body comes from `chunks` with back-pressure, as DATA
 * frames; each wait for the receiver to take more may last `idleMs` at most.
 * Returns false, sending no END, when the chunks do not add up to `length`
 * (the caller resets the stream: the receiver must see a cut transfer).
 */
export async function writeStreamed(
  stream: Stream,
  head: Frame,
  length: number,
  chunks: AsyncIterable<Uint8Array>,
  idleMs: number,
): Promise<boolean> {
  const send = async (frames: Iterable<Frame>) => {
    if (!(await writeFrames(stream, frames, AbortSignal.timeout(idleMs))))
      throw new StreamEnded('the receiver took nothing in time');
  };
  await send([head]);
  let sent = 0;
  for await (const chunk of chunks) {
    sent += chunk.length;
    if (sent > length) return false;
    await send(dataFrames(chunk));
  }
  if (sent !== length) return false;
  await send([{ kind: FrameKind.end, payload: new Uint8Array(0) }]);
  return true;
}
