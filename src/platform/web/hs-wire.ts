// Converts between the runtime-port wire format (client-wire.ts) and the
// homeserver core's HsRequest/HsResponse, on both sides of the port.
import { CORS_HEADERS, type HsRequest, type HsResponse, StreamedBody } from '../../core/public.ts';
import { decodeBase64, encodeBase64 } from '../../core/protocol.ts';
import {
  MAX_CHUNK_BYTES,
  type WireBody,
  type WireBytes,
  type WireHead,
  type WireRequest,
} from './client-wire.ts';

// ignoreBOM keeps a leading U+FEFF: a body chunk may well start with one.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8 = new TextEncoder();

/**
 * A request body as the port carries it: none when empty, inline up to one
 * chunk, else only its length (it follows in `body` messages, client-wire.ts).
 */
export function encodeWireBody(bytes: Uint8Array | null | undefined): WireBody {
  if (!bytes || bytes.length === 0) return null;
  return bytes.length > MAX_CHUNK_BYTES ? { streamed: bytes.length } : encodeWireBytes(bytes);
}

/** An inline body's bytes (a streamed one has none here). */
export function decodeWireBody(body: WireBody): Uint8Array | undefined {
  return body === null || 'streamed' in body ? undefined : decodeWireBytes(body);
}

/** Bytes as the port carries them: UTF-8 text as text (JSON, the usual case), anything else as base64. */
export function encodeWireBytes(bytes: Uint8Array): WireBytes {
  try {
    return { text: strictUtf8.decode(bytes) };
  } catch {
    return { base64: encodeBase64(bytes) };
  }
}

/** Throws EncodingError on malformed base64. */
export function decodeWireBytes(bytes: WireBytes): Uint8Array {
  return 'text' in bytes ? utf8.encode(bytes.text) : decodeBase64(bytes.base64);
}

/**
 * The core's request for a wire request. The path stays percent-encoded as
 * the router expects (URL.pathname does not decode); query values are decoded
 * and repeated keys keep every value in order. A streamed body is
 * `bodyStream` (its chunks as they arrive), with its announced length as
 * Content-Length, which the background holds it to.
 */
export function toHsRequest(
  wire: WireRequest,
  closed: Promise<void>,
  client?: string,
  bodyStream?: AsyncIterable<Uint8Array>,
): HsRequest {
  const url = new URL(wire.url);
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const seen = query[key];
    if (seen === undefined) query[key] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else query[key] = [seen, value];
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(wire.headers)) headers[name.toLowerCase()] = value;
  const streamed = wire.body !== null && 'streamed' in wire.body ? wire.body.streamed : undefined;
  if (streamed !== undefined) {
    if (!bodyStream) throw new TypeError('a streamed request body without its stream');
    headers['content-length'] = String(streamed);
  }
  const body = decodeWireBody(wire.body);
  return {
    method: wire.method.toUpperCase(),
    path: url.pathname,
    query,
    headers,
    ...(client !== undefined && { client }),
    ...(body ? { body } : {}),
    ...(streamed !== undefined && { bodyStream }),
    closed,
  };
}

/**
 * A core response ready to be streamed to the page: its head, and its body as
 * bytes or JSON text (null when empty) or as the chunks the core streams (media).
 */
export interface OutgoingResponse extends WireHead {
  /** A string is JSON text: the port carries text as it is (WireBytes), so it is never encoded to bytes and back. */
  readonly body: Uint8Array | string | AsyncIterable<Uint8Array> | null;
}

/**
 * A core response for the page: JSON bodies serialised once here, bytes and
 * streams passed as they are. The CORS headers core adds (CORS_HEADERS,
 * http/respond.ts) are left out: a page's fetch never shows them (Fetch
 * standard, "CORS-filtered response"), and they would cross two processes and
 * a Headers build per request. Any other header a handler set stays.
 */
export function fromHsResponse(res: HsResponse): OutgoingResponse {
  const headers = withoutCors(res.headers);
  if (res.body instanceof StreamedBody) {
    return {
      status: res.status,
      headers: { ...headers, 'content-length': String(res.body.length) },
      body: res.body.chunks,
    };
  }
  if (res.body instanceof Uint8Array) {
    return { status: res.status, headers, body: res.body.length > 0 ? res.body : null };
  }
  const text = res.body === undefined ? '' : JSON.stringify(res.body);
  return { status: res.status, headers, body: text === '' ? null : text };
}

function withoutCors(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) if (!Object.hasOwn(CORS_HEADERS, name)) out[name] = headers[name]!;
  return out;
}
