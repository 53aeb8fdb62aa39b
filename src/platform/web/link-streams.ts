// Streamed bodies across the background ↔ node link (node-wire.ts) in
// chunks, never whole: a media file fetched from a peer (node → background)
// or served to one (background → node) can be larger than one runtime-port
// message may be (Chrome caps it at 64 MiB, and a whole body would sit in
// both sides' memory at once).
//
// The side that has the body keeps it as an iterator and hands the other a
// reference `{stream, length}`; the other side pulls it, one `readStream`
// call per piece of at most LINK_CHUNK_BYTES (base64, as every byte on the
// link), with one read ahead so the port is never idle while the consumer
// works. Memory is bounded on both sides: the holder buffers at most one
// piece (plus the source's own chunk), the reader the piece it hands out and
// the one it reads ahead. A reader that stops early cancels the stream; a
// stream nobody reads for STREAM_IDLE_MS (the other side went away) is
// cancelled by its holder.
import { StreamedBody } from '../../core/public.ts';
import { decodeBase64, encodeBase64 } from '../../core/protocol.ts';

/** The most body bytes one `readStream` answer carries (a third more as base64). */
export const LINK_CHUNK_BYTES = 512 * 1024;

/** A held stream that nobody read for this long is cancelled. */
export const STREAM_IDLE_MS = 60_000;

/** A streamed body on the link: the holder's id for it, and its exact length. */
export interface WireStreamRef {
  readonly stream: number;
  readonly length: number;
}

/** One piece of a stream, or its end. */
export type StreamPiece = { readonly base64: string } | { readonly end: true };

/** The requests with which the reading side pulls a stream (both directions have them). */
export interface StreamRequests {
  readStream: { params: { readonly stream: number }; result: StreamPiece };
  cancelStream: { params: { readonly stream: number }; result: Record<string, never> };
}

/** A stream id the holder does not have (never exported, finished, cancelled or expired). */
export class UnknownStreamError extends Error {
  override readonly name = 'UnknownStreamError';
}

interface Held {
  readonly iterator: AsyncIterator<Uint8Array>;
  /** Bytes taken from the source beyond the last piece handed out. */
  rest: Uint8Array | undefined;
  timer: ReturnType<typeof setTimeout>;
  /** Reads of one stream run one after another. */
  busy: Promise<unknown>;
}

/** The holding side: exports bodies and answers the other side's reads. */
export class StreamHolder {
  readonly #held = new Map<number, Held>();
  #nextId = 1;

  /** How many streams are held now (tests, and to see nothing leaks). */
  get size(): number {
    return this.#held.size;
  }

  export(body: StreamedBody): WireStreamRef {
    const stream = this.#nextId++;
    const iterator = body.chunks[Symbol.asyncIterator]();
    this.#held.set(stream, {
      iterator,
      rest: undefined,
      timer: this.#idleTimer(stream),
      busy: Promise.resolve(),
    });
    return { stream, length: body.length };
  }

  readonly handlers = {
    readStream: ({ stream }: { readonly stream: number }): Promise<StreamPiece> => {
      const held = this.#held.get(stream);
      if (!held) return Promise.reject(new UnknownStreamError(`no stream ${stream}`));
      clearTimeout(held.timer);
      const read = held.busy.then(() => this.#read(stream, held));
      held.busy = read.catch(() => {});
      return read;
    },
    cancelStream: async ({ stream }: { readonly stream: number }): Promise<Record<string, never>> => {
      this.#drop(stream);
      return {};
    },
  };

  /** Cancels every held stream (the link they were exported on is gone). */
  cancelAll(): void {
    for (const stream of [...this.#held.keys()]) this.#drop(stream);
  }

  async #read(stream: number, held: Held): Promise<StreamPiece> {
    const parts: Uint8Array[] = [];
    let size = 0;
    try {
      while (size < LINK_CHUNK_BYTES) {
        let chunk = held.rest;
        held.rest = undefined;
        if (chunk === undefined) {
          const next = await held.iterator.next();
          if (next.done) break;
          chunk = next.value;
        }
        const room = LINK_CHUNK_BYTES - size;
        if (chunk.length > room) {
          held.rest = chunk.subarray(room);
          chunk = chunk.subarray(0, room);
        }
        parts.push(chunk);
        size += chunk.length;
      }
    } catch (err) {
      this.#held.delete(stream);
      throw err;
    }
    if (size === 0) {
      this.#held.delete(stream);
      return { end: true };
    }
    if (this.#held.has(stream)) held.timer = this.#idleTimer(stream);
    return { base64: encodeBase64(concat(parts, size)) };
  }

  #idleTimer(stream: number): ReturnType<typeof setTimeout> {
    return setTimeout(() => this.#drop(stream), STREAM_IDLE_MS);
  }

  #drop(stream: number): void {
    const held = this.#held.get(stream);
    if (!held) return;
    this.#held.delete(stream);
    clearTimeout(held.timer);
    // Ends the source (a blob read, a libp2p stream): it stops where it is.
    void held.busy.then(() => held.iterator.return?.()).catch(() => {});
  }
}

/** How the reading side reaches the holder: the link's calls. */
export interface StreamReader {
  read(stream: number): Promise<StreamPiece>;
  cancel(stream: number): void;
}

/**
 * The body `ref` names, pulled from its holder as the consumer iterates,
 * one piece read ahead. A consumer that stops early cancels it; a failed
 * read (the holder's source failed, the link went away) makes the iteration
 * throw, so a cut body never reads as whole.
 */
export function pulledBody(ref: WireStreamRef, reader: StreamReader): StreamedBody {
  return new StreamedBody(ref.length, pull(ref.stream, reader));
}

async function* pull(stream: number, reader: StreamReader): AsyncGenerator<Uint8Array> {
  let ended = false;
  let ahead = reader.read(stream);
  try {
    for (;;) {
      const piece = await ahead;
      if ('end' in piece) {
        ended = true;
        return;
      }
      ahead = reader.read(stream);
      yield decodeBase64(piece.base64);
    }
  } catch (err) {
    ended = true; // the holder dropped it already
    throw err;
  } finally {
    if (!ended) {
      ahead.catch(() => {});
      reader.cancel(stream);
    }
  }
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The part of a link (PortRpc, NodeLink) a reader needs. */
type StreamCall = <K extends keyof StreamRequests & string>(
  type: K,
  params: StreamRequests[K]['params'],
  timeoutMs?: number,
) => Promise<StreamRequests[K]['result']>;

/** A StreamReader over a link's calls; a read that gets no answer within `readTimeoutMs` fails. */
export function linkReader(call: StreamCall, readTimeoutMs: number): StreamReader {
  return {
    read: (stream) => call('readStream', { stream }, readTimeoutMs),
    cancel: (stream) => void call('cancelStream', { stream }).catch(() => {}),
  };
}
