// Sends one answer to a content script as the stream client-wire.ts
// describes: a head, body chunks of at most MAX_CHUNK_BYTES, an end; or,
// for a body of one chunk at most, all three in one message. The
// core answers with a whole body, or streams one from the media store chunk
// by chunk; no single runtime-port message may have to hold it (Chrome caps
// a message at 64 MiB): a big initial /sync or a media download is cut into
// chunks here, and a streamed body is read one chunk ahead of the port.
import { type BackgroundMessage, MAX_CHUNK_BYTES } from '../../src/platform/web/client-wire.ts';
import { bodyChunks } from '../../src/platform/web/body-chunks.ts';
import { utf8ByteLength, utf8Encode } from '../../src/core/protocol.ts';
import { encodeWireBytes, type OutgoingResponse } from '../../src/platform/web/hs-wire.ts';

export interface ResponseSink {
  send(msg: BackgroundMessage): void;
  /** False once the page aborted the request or its port closed: nothing more is sent. */
  wanted(): boolean;
}

/**
 * Streams `response` as request `id`. Between two chunks it lets the event
 * loop run, so that an abort (or the port closing) arriving meanwhile stops
 * the stream before the next chunk; a body of one chunk goes out at once.
 */
export async function streamResponse(
  id: number,
  response: OutgoingResponse,
  sink: ResponseSink,
): Promise<void> {
  if (!sink.wanted()) return;
  const { status, headers } = response;
  // JSON text whose UTF-8 fits one chunk goes as it is: never encoded, then decoded again, to be sent.
  if (typeof response.body === 'string' && fitsOneChunk(response.body)) {
    sink.send({ type: 'whole', id, status, headers, bytes: { text: response.body } });
    return;
  }
  const body = typeof response.body === 'string' ? utf8Encode(response.body) : response.body;
  if (body === null || (body instanceof Uint8Array && body.length <= MAX_CHUNK_BYTES)) {
    // One message instead of three: each is a hop between processes and into the page.
    sink.send({ type: 'whole', id, status, headers, bytes: encodeWireBytes(body ?? new Uint8Array(0)) });
    return;
  }
  sink.send({ type: 'head', id, status, headers });
  let first = true;
  /** Sends one piece; false once the request is no longer wanted. */
  const emit = (piece: Uint8Array): boolean => {
    first = false;
    if (!sink.wanted()) return false;
    sink.send({ type: 'chunk', id, bytes: encodeWireBytes(piece) });
    return true;
  };
  try {
    // Bytes: sent at once up to the second piece (no await before it). A
    // stream (media from the blob store) is read one chunk ahead of the port.
    if (body === null || body instanceof Uint8Array) {
      for (const piece of bodyChunks(body ?? new Uint8Array(0))) {
        if (!first) await nextTask();
        if (!emit(piece)) return;
      }
    } else {
      for await (const chunk of body) {
        for (const piece of bodyChunks(chunk)) {
          if (!first) await nextTask();
          if (!emit(piece)) return;
        }
      }
    }
  } catch (err) {
    // A stream that failed half-way (a blob gone): a body cut short must not look complete to the page.
    sink.send({ type: 'error', id, reason: String(err) });
    return;
  }
  sink.send({ type: 'end', id });
}

/**
 * Whether `text` is at most MAX_CHUNK_BYTES in UTF-8: surely so at 3 bytes per
 * UTF-16 unit (the most one takes), surely not past 1; in between, counted
 * (no bytes made per response).
 */
function fitsOneChunk(text: string): boolean {
  if (text.length * 3 <= MAX_CHUNK_BYTES) return true;
  if (text.length > MAX_CHUNK_BYTES) return false;
  return utf8ByteLength(text) <= MAX_CHUNK_BYTES;
}

function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
