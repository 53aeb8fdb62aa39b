// Converts between the runtime-port wire format (client-wire.ts) and the
// homeserver core's HsRequest/HsResponse, on both sides of the port.
import type { HsRequest, HsResponse } from '../../core/http/types.ts';
import { decodeBase64, encodeBase64 } from '../../core/protocol/base64.ts';
import type { WireBody, WireRequest, WireResponse } from './client-wire.ts';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const utf8 = new TextEncoder();

/** Bytes as the port carries them: UTF-8 text as text (JSON, the usual case), anything else as base64. */
export function encodeWireBody(bytes: Uint8Array | null | undefined): WireBody {
  if (!bytes || bytes.length === 0) return null;
  try {
    return { text: strictUtf8.decode(bytes) };
  } catch {
    return { base64: encodeBase64(bytes) };
  }
}

export function decodeWireBody(body: WireBody): Uint8Array | undefined {
  if (body === null) return undefined;
  return 'text' in body ? utf8.encode(body.text) : decodeBase64(body.base64);
}

/**
 * The core's request for a wire request. The path stays percent-encoded as
 * the router expects (URL.pathname does not decode); query values are decoded
 * and repeated keys keep every value in order.
 */
export function toHsRequest(wire: WireRequest, closed: Promise<void>): HsRequest {
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
  const body = decodeWireBody(wire.body);
  return {
    method: wire.method.toUpperCase(),
    path: url.pathname,
    query,
    headers,
    ...(body ? { body } : {}),
    closed,
  };
}

/** A core response on the wire: JSON bodies serialised once here, bytes passed as they are. */
export function fromHsResponse(res: HsResponse): WireResponse {
  if (res.body instanceof Uint8Array) {
    return { status: res.status, headers: res.headers, body: encodeWireBody(res.body) };
  }
  const text = res.body === undefined ? '' : JSON.stringify(res.body);
  return { status: res.status, headers: res.headers, body: text === '' ? null : { text } };
}
