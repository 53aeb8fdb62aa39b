// Frames on a libp2p stream: [kind: u8][length: u32 BE][payload]. A frame is
// never larger than 16 KiB, so each fits one WebRTC data-channel message
// (js-libp2p's default maxMessageSize); big bodies become many DATA frames.
// The decoder holds at most one partial frame, so a peer cannot make it buffer
// more than that, and it rejects an unknown kind or an oversized length as
// soon as the 5-byte frame header arrives.

export const FRAME_HEADER_BYTES = 5;
export const MAX_FRAME_BYTES = 16 * 1024;
export const MAX_FRAME_PAYLOAD = MAX_FRAME_BYTES - FRAME_HEADER_BYTES;

export const FrameKind = { head: 1, data: 2, end: 3 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export interface Frame {
  readonly kind: FrameKind;
  readonly payload: Uint8Array;
}

/** The bytes that violate the framing, with the reason; the stream must be dropped. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
}

export function encodeFrame(kind: FrameKind, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  writeFrame(out, 0, { kind, payload });
  return out;
}

function writeFrame(out: Uint8Array, at: number, frame: Frame): void {
  if (frame.payload.length > MAX_FRAME_PAYLOAD)
    throw new RangeError(`frame payload of ${frame.payload.length} bytes`);
  out[at] = frame.kind;
  new DataView(out.buffer, out.byteOffset + at + 1, 4).setUint32(0, frame.payload.length);
  out.set(frame.payload, at + FRAME_HEADER_BYTES);
}

/** `bytes` as DATA frames of at most MAX_FRAME_PAYLOAD bytes each (views, not copies). */
export function* dataFrames(bytes: Uint8Array): Generator<Frame> {
  for (let at = 0; at < bytes.length; at += MAX_FRAME_PAYLOAD) {
    yield { kind: FrameKind.data, payload: bytes.subarray(at, at + MAX_FRAME_PAYLOAD) };
  }
}

/**
 * Encodes frames into buffers of about `batchBytes` (each payload copied once):
 * fewer, larger sends for big bodies. Frame boundaries inside a buffer do not
 * matter to the receiver, and each frame still fits one WebRTC message.
 */
export function* packFrames(frames: Iterable<Frame>, batchBytes = 64 * 1024): Generator<Uint8Array> {
  let batch: Frame[] = [];
  let size = 0;
  for (const frame of frames) {
    const frameSize = FRAME_HEADER_BYTES + frame.payload.length;
    if (size + frameSize > batchBytes && batch.length > 0) {
      yield encodeBatch(batch, size);
      batch = [];
      size = 0;
    }
    batch.push(frame);
    size += frameSize;
  }
  if (batch.length > 0) yield encodeBatch(batch, size);
}

function encodeBatch(frames: Frame[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const frame of frames) {
    writeFrame(out, at, frame);
    at += FRAME_HEADER_BYTES + frame.payload.length;
  }
  return out;
}

const KINDS = new Set<number>(Object.values(FrameKind));

/** Incremental decoder: feed it chunks as they arrive (chunk boundaries mean nothing), get whole frames. */
export class FrameDecoder {
  #header = new Uint8Array(FRAME_HEADER_BYTES);
  #headerFill = 0;
  #payload: Uint8Array | undefined;
  #payloadFill = 0;
  #kind: FrameKind = FrameKind.head;

  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (!this.#payload) {
        const take = Math.min(FRAME_HEADER_BYTES - this.#headerFill, chunk.length - at);
        this.#header.set(chunk.subarray(at, at + take), this.#headerFill);
        this.#headerFill += take;
        at += take;
        if (this.#headerFill === FRAME_HEADER_BYTES) this.#startPayload();
      } else {
        const take = Math.min(this.#payload.length - this.#payloadFill, chunk.length - at);
        this.#payload.set(chunk.subarray(at, at + take), this.#payloadFill);
        this.#payloadFill += take;
        at += take;
      }
      if (this.#payload && this.#payloadFill === this.#payload.length) {
        frames.push({ kind: this.#kind, payload: this.#payload });
        this.#payload = undefined;
        this.#headerFill = 0;
      }
    }
    return frames;
  }

  /** True when no partial frame is pending (the stream may end here). */
  get idle(): boolean {
    return this.#headerFill === 0 && !this.#payload;
  }

  #startPayload(): void {
    const kind = this.#header[0]!;
    const length = new DataView(this.#header.buffer).getUint32(1);
    if (!KINDS.has(kind)) throw new FrameError(`unknown frame kind ${kind}`);
    if (length > MAX_FRAME_PAYLOAD)
      throw new FrameError(`frame payload of ${length} bytes exceeds ${MAX_FRAME_PAYLOAD}`);
    this.#kind = kind as FrameKind;
    this.#payload = new Uint8Array(length);
    this.#payloadFill = 0;
  }
}
