// One federation exchange on `/matrix/federation/1.0.0`, one stream each:
//   request:  HEAD {method, path, query, origin, body, length}, DATA*, END
//   response: HEAD {status, body, length, contentType?}, DATA*, END
// `/matrix/federation/1.1.0` carries the same messages, one exchange after
// another on a stream kept open (FEDERATION_SESSION_PROTOCOL below).
// `body` says how to read the bytes ('json' | 'bytes' | 'none') and `length`
// is their total, so an oversized body is refused from its HEAD frame; the
// count is checked again on every DATA frame because a peer may lie.
// `contentType` is a bytes answer's media type (media: multipart/mixed with
// its boundary). A bytes body may be read as it arrives (stream-io.ts
// readStreaming): the frames are the same either way.
// A request may name the encodings its client reads (`encodings`); a JSON
// answer may then come in one of them (`encoding`, with `decoded` its length
// once decoded, body-encoding.ts), its `length` the bytes on the wire.

import { type JsonObject, nestingWithin } from '../../core/protocol.ts';
import type { FederationBody, FederationRequest } from '../../core/public.ts';
import { dataFrames, type Frame, FrameKind, MAX_FRAME_PAYLOAD } from './frames.ts';

export const FEDERATION_PROTOCOL = '/matrix/federation/1.0.0';

/**
 * The same exchanges, one after another on a stream that stays open: the
 * client sends its next request only once it has read the whole answer to
 * the last, and bytes after a message's END frame are malformed. Opening a
 * stream costs a new WebRTC data channel, a multistream-select round trip and
 * libp2p's bookkeeping on both sides (about 30 ms between two browsers under
 * load); a stream kept for the next request costs none of it. Either side may
 * end the session between exchanges by closing; the server also does after
 * an answer sent without reading the request in full (413, 429), since the
 * rest of that request may still be on its way.
 */
export const FEDERATION_SESSION_PROTOCOL = '/matrix/federation/1.1.0';

type BodyKind = 'json' | 'bytes' | 'none';

/** The one encoding spoken: gzip (RFC 1952), whose CRC-32 checks the decoded bytes too. */
export const GZIP = 'gzip';

export interface RequestHead {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string | string[]>;
  readonly origin: string;
  readonly body: BodyKind;
  readonly length: number;
  /** The encodings the client reads a JSON answer in; absent: none (peers before them). */
  readonly encodings?: readonly string[];
}

export interface ResponseHead {
  readonly status: number;
  readonly body: BodyKind;
  readonly length: number;
  readonly contentType?: string;
  /** A JSON body in an encoding the request named; `length` counts the encoded bytes. */
  readonly encoding?: typeof GZIP;
  /** With `encoding`: the body's length once decoded. */
  readonly decoded?: number;
}

/** More are not read: a client names the few it reads. */
const MAX_ENCODINGS = 8;

/** Deflate's most: a 258-byte match in a bit or two, about 1,032 bytes out for one in. */
const MAX_DEFLATE_RATIO = 1_032;

/** Longer is no media type (RFC 6838 names are at most 127 characters, plus a boundary parameter). */
const MAX_CONTENT_TYPE = 512;

export type WireViolation = 'too-large' | 'malformed';

export class WireError extends Error {
  override readonly name = 'WireError';
  readonly violation: WireViolation;

  constructor(violation: WireViolation, message: string) {
    super(message);
    this.violation = violation;
  }
}

/**
 * `admitBody` refused the declared length: on the server, the budget of
 * bodies in flight from all peers (a 429, not a fault of the peer's); on the
 * client, what a relayed connection has left (federation-client.ts).
 */
export class BodyRefused extends Error {
  override readonly name = 'BodyRefused';
  readonly length: number;
  constructor(length: number) {
    super(`no room for a body of ${length} bytes now`);
    this.length = length;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeBody(body: FederationBody | undefined): { kind: BodyKind; bytes: Uint8Array } {
  if (body === undefined) return { kind: 'none', bytes: new Uint8Array(0) };
  if (body instanceof Uint8Array) return { kind: 'bytes', bytes: body };
  return { kind: 'json', bytes: encoder.encode(JSON.stringify(body)) };
}

/**
 * All frames of one message: HEAD, the body as DATA frames, END. A head that
 * does not fit one frame throws here, at the call, before any stream is
 * written (a request that cannot be sent must fail, not wait for an answer).
 */
export function messageFrames(head: RequestHead | ResponseHead, bytes: Uint8Array): Generator<Frame> {
  const headBytes = encoder.encode(JSON.stringify(head));
  if (headBytes.length > MAX_FRAME_PAYLOAD) throw new RangeError('request head (path and query) is too long');
  return framesOf(headBytes, bytes);
}

function* framesOf(headBytes: Uint8Array, bytes: Uint8Array): Generator<Frame> {
  yield { kind: FrameKind.head, payload: headBytes };
  yield* dataFrames(bytes);
  yield { kind: FrameKind.end, payload: new Uint8Array(0) };
}

export function requestHead(
  req: FederationRequest,
  kind: BodyKind,
  length: number,
  encodings?: readonly string[],
): RequestHead {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(req.query ?? {}))
    query[key] = typeof value === 'string' ? value : [...value];
  const head = { method: req.method, path: req.path, query, origin: req.origin, body: kind, length };
  return encodings ? { ...head, encodings } : head;
}

/**
 * Asked at a message's HEAD: false refuses its declared body length
 * (BodyRefused); it may throw WireError for a head the message cannot be
 * read by.
 */
export type AdmitBody = (declared: number, head: JsonObject) => boolean;

/** Collects one message from frames, refusing it as soon as it breaks the rules. */
export class MessageAssembler {
  readonly #maxBody: number;
  #head: Record<string, unknown> | undefined;
  #declared = 0;
  #received = 0;
  #chunks: Uint8Array[] = [];
  #done = false;
  readonly #admitBody: AdmitBody | undefined;

  /** `admitBody` is asked about the declared length at the HEAD, before any of the body is kept. */
  constructor(maxBodyBytes: number, admitBody?: AdmitBody) {
    this.#maxBody = maxBodyBytes;
    this.#admitBody = admitBody;
  }

  /** The parsed HEAD once it has arrived (also when the body was refused as too large). */
  get head(): Record<string, unknown> | undefined {
    return this.#head;
  }

  /** Feeds one frame; returns the body bytes when the message is complete. */
  add(frame: Frame): Uint8Array | undefined {
    if (this.#done) throw new WireError('malformed', 'data after the end of the message');
    if (!this.#head) return this.#onHead(frame);
    if (frame.kind === FrameKind.data) {
      this.#received += frame.payload.length;
      if (this.#received > this.#declared)
        throw new WireError('malformed', 'body longer than its declared length');
      this.#chunks.push(frame.payload);
      return undefined;
    }
    if (frame.kind !== FrameKind.end) throw new WireError('malformed', 'second HEAD frame');
    if (this.#received !== this.#declared)
      throw new WireError('malformed', 'body shorter than its declared length');
    this.#done = true;
    return concat(this.#chunks, this.#received);
  }

  #onHead(frame: Frame): undefined {
    const head = headObject(frame);
    this.#head = head;
    const length = declaredLength(head, this.#maxBody);
    if (this.#admitBody && !this.#admitBody(length, head)) throw new BodyRefused(length);
    this.#declared = length;
    return undefined;
  }
}

/** A message's first frame: its HEAD object. */
export function headObject(frame: Frame): JsonObject {
  if (frame.kind !== FrameKind.head) throw new WireError('malformed', 'message does not start with HEAD');
  const head = parseJsonObject(frame.payload);
  if (!head) throw new WireError('malformed', 'HEAD is not a JSON object');
  return head;
}

/** The body length a HEAD declares, refused when it is over `maxBodyBytes`. */
export function declaredLength(head: JsonObject, maxBodyBytes: number): number {
  const length = head.length;
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
    throw new WireError('malformed', 'HEAD has no valid length');
  }
  if (length > maxBodyBytes)
    throw new WireError('too-large', `body of ${length} bytes exceeds ${maxBodyBytes}`);
  return length;
}

/** The chunks as one array (the only one itself). */
export function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

export function parseJsonObject(bytes: Uint8Array): JsonObject | undefined {
  try {
    const text = decoder.decode(bytes);
    // Nested past canonical JSON's limit, no later step could walk it (see nestingWithin).
    if (!nestingWithin(text)) return undefined;
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as JsonObject)
      : undefined;
  } catch {
    return undefined;
  }
}

const BODY_KINDS = new Set(['json', 'bytes', 'none']);

export function parseRequestHead(head: Record<string, unknown>): RequestHead | undefined {
  const { method, path, query, origin, body, length, encodings } = head;
  if (typeof method !== 'string' || typeof path !== 'string' || typeof origin !== 'string') return undefined;
  if (typeof body !== 'string' || !BODY_KINDS.has(body) || typeof length !== 'number') return undefined;
  if (!isQuery(query) || (body === 'none' && length !== 0)) return undefined;
  const parsed = { method, path, query, origin, body: body as BodyKind, length };
  if (encodings === undefined) return parsed;
  if (!Array.isArray(encodings) || encodings.length > MAX_ENCODINGS) return undefined;
  if (!encodings.every((e) => typeof e === 'string')) return undefined;
  return { ...parsed, encodings: encodings as string[] };
}

export function parseResponseHead(head: Record<string, unknown>): ResponseHead | undefined {
  const { status, body, length, contentType, encoding, decoded } = head;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599)
    return undefined;
  if (body !== 'json' && body !== 'bytes') return undefined;
  if (typeof length !== 'number') return undefined;
  if (contentType !== undefined && (typeof contentType !== 'string' || contentType.length > MAX_CONTENT_TYPE))
    return undefined;
  const parsed: ResponseHead = { status, body, length, ...(contentType !== undefined && { contentType }) };
  if (encoding === undefined && decoded === undefined) return parsed;
  // Only a JSON answer is encoded, and gzip is the one encoding spoken (whether the
  // request asked for it, federation-client.ts checks).
  if (encoding !== GZIP || body !== 'json') return undefined;
  if (typeof decoded !== 'number' || !Number.isSafeInteger(decoded) || decoded < 0) return undefined;
  // More than gzip of `length` bytes can give is a lie, refused before the body is read.
  if (decoded > length * MAX_DEFLATE_RATIO + 1_024) return undefined;
  return { ...parsed, encoding, decoded };
}

/** The HEAD of a response with this status, body kind, length and media type. */
export function responseHead(
  status: number,
  kind: BodyKind,
  length: number,
  contentType?: string,
): ResponseHead {
  return { status, body: kind, length, ...(contentType !== undefined && { contentType }) };
}

/** The HEAD of a JSON answer sent gzipped: `length` bytes on the wire, `decoded` once decoded. */
export function encodedResponseHead(status: number, length: number, decoded: number): ResponseHead {
  return { status, body: 'json', length, encoding: GZIP, decoded };
}

function isQuery(query: unknown): query is Record<string, string | string[]> {
  if (typeof query !== 'object' || query === null || Array.isArray(query)) return false;
  return Object.values(query).every(
    (v) => typeof v === 'string' || (Array.isArray(v) && v.every((item) => typeof item === 'string')),
  );
}

/** The body as the handler or caller sees it; `ok: false` when JSON was announced but the bytes are not an object. */
export function decodeBody(
  kind: BodyKind,
  bytes: Uint8Array,
): { ok: true; body?: FederationBody } | { ok: false } {
  if (kind === 'bytes') return { ok: true, body: bytes };
  if (kind === 'none') return { ok: true };
  const body = parseJsonObject(bytes);
  return body ? { ok: true, body } : { ok: false };
}
