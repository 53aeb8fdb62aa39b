// The federation media answer (spec v1.11, Server-Server API "Content
// repository": GET /_matrix/federation/v1/media/download|thumbnail): a
// `multipart/mixed` body of exactly two parts, a JSON metadata object and the
// content (or a `Location` header pointing elsewhere, which we never send and
// never follow):
//
//   --B\r\nContent-Type: application/json\r\n\r\n{metadata}\r\n
//   --B\r\nContent-Type: image/png\r\nContent-Disposition: inline; filename=…\r\n\r\n<bytes>\r\n
//   --B--\r\n
//
// The spec leaves the metadata object open and empty for now; peers of this
// network announce the content's size and SHA-256 there (media/integrity.ts),
// which also lets the reader take the content as exactly `size` bytes rather
// than search it for the boundary. Both sides stream: the writer never holds
// the content, the reader holds the two small headed parts (bounded) and hands
// the content on as it arrives.
import type { JsonObject } from '../../protocol/types.ts';
import { StreamedBody } from '../transport.ts';

/** The media answer was not the two-part multipart/mixed body it must be. */
export class MultipartError extends Error {
  override readonly name = 'MultipartError';
}

/** Longest header block of one part, and longest metadata object, a reader accepts. */
export const MAX_PART_HEADERS_BYTES = 8 * 1024;
export const MAX_METADATA_BYTES = 64 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export interface MediaPartHeaders {
  readonly contentType: string;
  readonly contentDisposition?: string;
}

/** The multipart answer around `content`: its media type (with the boundary) and the whole body, streamed. */
export function encodeMediaMultipart(
  boundary: string,
  metadata: JsonObject,
  headers: MediaPartHeaders,
  content: StreamedBody,
): { contentType: string; body: StreamedBody } {
  if (!/^[0-9A-Za-z]{16,70}$/.test(boundary))
    throw new RangeError('boundary must be 16 to 70 letters or digits');
  const lines = [
    `--${boundary}`,
    'Content-Type: application/json',
    '',
    `${JSON.stringify(metadata)}`,
    `--${boundary}`,
    `Content-Type: ${headerValue(headers.contentType)}`,
    ...(headers.contentDisposition
      ? [`Content-Disposition: ${headerValue(headers.contentDisposition)}`]
      : []),
    '',
    '',
  ];
  const head = encoder.encode(lines.join('\r\n'));
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  const body = new StreamedBody(
    head.length + content.length + tail.length,
    (async function* () {
      yield head;
      yield* content.chunks;
      yield tail;
    })(),
  );
  return { contentType: `multipart/mixed; boundary=${boundary}`, body };
}

/** A header value cannot carry a line break (that would forge headers). */
function headerValue(value: string): string {
  if (/[\r\n]/.test(value)) throw new RangeError('header value with a line break');
  return value;
}

export interface MediaMultipart {
  readonly metadata: JsonObject;
  /** The content part's headers, names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** The content: exactly `contentLength` bytes, then the closing boundary is checked; throws MultipartError otherwise. */
  readonly content: AsyncIterable<Uint8Array>;
}

/**
 * Reads a media answer whose content is `contentLength(metadata)` bytes long
 * (undefined refuses the answer: the caller says why). Everything is checked
 * against `body`'s exact length, so a body cannot hide more parts or bytes.
 */
export async function readMediaMultipart(
  contentType: string | undefined,
  body: StreamedBody,
  contentLength: (metadata: JsonObject) => number | undefined,
): Promise<{ multipart: MediaMultipart; contentLength: number }> {
  const boundary = boundaryOf(contentType);
  const source = body.chunks[Symbol.asyncIterator]();
  const reader = new ByteReader(source);
  try {
    return await readParts(reader, boundary, body.length, contentLength);
  } catch (err) {
    await source.return?.();
    throw err;
  }
}

/** Room after the closing boundary for its CRLF and an epilogue (RFC 2046 allows one; we send none). */
const MAX_EPILOGUE_BYTES = 1024;

async function readParts(
  reader: ByteReader,
  boundary: string,
  bodyLength: number,
  contentLength: (metadata: JsonObject) => number | undefined,
): Promise<{ multipart: MediaMultipart; contentLength: number }> {
  const delimiter = `--${boundary}`;
  const first = await reader.line(MAX_PART_HEADERS_BYTES);
  if (first !== delimiter) throw new MultipartError('the body does not start with its boundary');
  const jsonHeaders = await readHeaders(reader);
  if (!jsonHeaders['content-type']?.toLowerCase().startsWith('application/json'))
    throw new MultipartError('the first part is not application/json');
  const metadataBytes = await reader.until(encoder.encode(`\r\n${delimiter}\r\n`), MAX_METADATA_BYTES);
  const metadata = parseObject(metadataBytes);
  const headers = await readHeaders(reader);
  if (headers.location !== undefined)
    throw new MultipartError('the content is a redirect (Location), not followed');
  if (headers['content-type'] === undefined) throw new MultipartError('the content part has no Content-Type');
  const length = contentLength(metadata);
  if (length === undefined) throw new MultipartError('the metadata does not say how long the content is');
  const tail = encoder.encode(`\r\n${delimiter}--`);
  const rest = bodyLength - reader.consumed - length;
  if (rest < tail.length) throw new MultipartError('the body is shorter than the content it announces');
  if (rest > tail.length + 2 + MAX_EPILOGUE_BYTES)
    throw new MultipartError('the body is longer than the content it announces');
  const content = (async function* () {
    try {
      yield* reader.exactly(length);
      const end = await reader.bytes(rest);
      if (!startsWith(end, tail))
        throw new MultipartError('the content is not followed by the closing boundary');
      // The transport's own end (and its length check) is awaited, so the answer is known to be whole.
      if (!(await reader.atEnd())) throw new MultipartError('bytes after the end of the body');
    } finally {
      await reader.close();
    }
  })();
  return { multipart: { metadata, headers, content }, contentLength: length };
}

/** The boundary parameter of a multipart/mixed media type (RFC 2046 §5.1.1: 1 to 70 characters). */
export function boundaryOf(contentType: string | undefined): string {
  const match = contentType?.match(/^\s*multipart\/mixed\s*;(.*)$/i);
  if (!match) throw new MultipartError(`not multipart/mixed: ${String(contentType).slice(0, 80)}`);
  for (const param of match[1]!.split(';')) {
    const [name, ...rest] = param.split('=');
    if (name?.trim().toLowerCase() !== 'boundary') continue;
    const value = rest
      .join('=')
      .trim()
      .replace(/^"(.*)"$/, '$1');
    if (/^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/.test(value)) return value;
  }
  throw new MultipartError('multipart/mixed without a valid boundary');
}

async function readHeaders(reader: ByteReader): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  const start = reader.consumed;
  while (true) {
    const line = await reader.line(MAX_PART_HEADERS_BYTES - (reader.consumed - start));
    if (line === '') return headers;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartError('a part header without a name');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
}

function parseObject(bytes: Uint8Array): JsonObject {
  try {
    const value: unknown = JSON.parse(decoder.decode(bytes));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as JsonObject;
  } catch {}
  throw new MultipartError('the metadata part is not a JSON object');
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

/** Pulls bytes off an iterator on demand, holding only what a read asked for beyond the current chunk. */
class ByteReader {
  readonly #source: AsyncIterator<Uint8Array>;
  #pending: Uint8Array = new Uint8Array(0);
  #consumed = 0;

  constructor(source: AsyncIterator<Uint8Array>) {
    this.#source = source;
  }

  /** True when nothing is left, the source having ended. */
  async atEnd(): Promise<boolean> {
    return this.#pending.length === 0 && !(await this.#more());
  }

  /** Stops the source (the transfer is cancelled when not read to its end). */
  async close(): Promise<void> {
    await this.#source.return?.();
  }

  /** Bytes taken so far. */
  get consumed(): number {
    return this.#consumed;
  }

  async #more(): Promise<boolean> {
    const next = await this.#source.next();
    if (next.done) return false;
    this.#pending = this.#pending.length === 0 ? next.value : concat(this.#pending, next.value);
    return true;
  }

  #take(n: number): Uint8Array {
    const out = this.#pending.subarray(0, n);
    this.#pending = this.#pending.subarray(n);
    this.#consumed += n;
    return out;
  }

  /** The bytes before `delimiter` (which is consumed too), at most `max` of them. */
  async until(delimiter: Uint8Array, max: number): Promise<Uint8Array> {
    let from = 0;
    while (true) {
      const at = indexOf(this.#pending, delimiter, from);
      if (at >= 0) {
        const out = this.#take(at).slice();
        this.#take(delimiter.length);
        return out;
      }
      if (this.#pending.length > max + delimiter.length) throw new MultipartError('a part is too long');
      from = Math.max(0, this.#pending.length - delimiter.length + 1);
      if (!(await this.#more())) throw new MultipartError('the body ends inside a part');
    }
  }

  /** One CRLF-terminated line of at most `max` bytes, as text. */
  async line(max: number): Promise<string> {
    const bytes = await this.until(CRLF, max);
    try {
      return decoder.decode(bytes);
    } catch {
      throw new MultipartError('a header line is not UTF-8');
    }
  }

  /** Exactly `n` bytes, as they come. */
  async *exactly(n: number): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0) {
      if (this.#pending.length === 0 && !(await this.#more()))
        throw new MultipartError('the body ends inside the content');
      const chunk = this.#take(Math.min(left, this.#pending.length));
      left -= chunk.length;
      yield chunk;
    }
  }

  /** Exactly `n` bytes in one buffer (small reads only). */
  async bytes(n: number): Promise<Uint8Array> {
    while (this.#pending.length < n) {
      if (!(await this.#more())) throw new MultipartError('the body ends early');
    }
    return this.#take(n).slice();
  }
}

const CRLF = encoder.encode('\r\n');

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
