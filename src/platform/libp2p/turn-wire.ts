// TURN credentials from a relay, `/p2p-matrix/turn/1.0.0`: a peer opens a
// stream to its relay (a direct connection: the relay knows who asks from the
// Noise handshake) and the relay answers with one JSON object in one DATA
// frame (frames.ts), `{username, password, uris, ttl}`, the fields of the
// spec's `GET /voip/turnServer`, made by the TURN REST shared-secret scheme
// (username `<expiry>:<peer id>`, password base64(HMAC-SHA1(secret,
// username))), then closes it. The peer sends nothing.
//
// The relay is a peer: its answer is checked here (sizes, `turn:`/`turns:`
// URIs only, a lifetime of a minute to a day) before anything uses it.
import { encodeFrame, type Frame, FrameKind } from './frames.ts';
import { parseJsonObject } from './federation-wire.ts';
import type { TurnCredentials } from '../../core/public.ts';

export const TURN_PROTOCOL = '/p2p-matrix/turn/1.0.0';

const MAX_FIELD = 256;
const MAX_URIS = 8;
const MIN_TTL_S = 60;
const MAX_TTL_S = 24 * 60 * 60;
/** `turn:host:port?transport=udp|tcp` or `turns:…` (RFC 7065); host a name, an IPv4 or a bracketed IPv6. */
const TURN_URI = /^turns?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?(\?transport=(udp|tcp))?$/;

const encoder = new TextEncoder();

export function encodeTurnCredentials(credentials: TurnCredentials): Uint8Array {
  return encodeFrame(FrameKind.data, encoder.encode(JSON.stringify(credentials)));
}

/** The credentials in a frame, or undefined when it is not a well-formed answer. */
export function decodeTurnCredentials(frame: Frame): TurnCredentials | undefined {
  if (frame.kind !== FrameKind.data) return undefined;
  const value = parseJsonObject(frame.payload);
  if (!value) return undefined;
  const { username, password, uris, ttl } = value;
  if (!shortString(username) || !shortString(password)) return undefined;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < MIN_TTL_S || ttl > MAX_TTL_S)
    return undefined;
  if (!Array.isArray(uris) || uris.length === 0 || uris.length > MAX_URIS) return undefined;
  if (!uris.every((uri) => shortString(uri) && TURN_URI.test(uri))) return undefined;
  return { username, password, uris: uris as string[], ttl };
}

/** The host a TURN URI names (without IPv6 brackets). */
export function turnUriHost(uri: string): string | undefined {
  const host = TURN_URI.exec(uri)?.[1];
  return host?.startsWith('[') ? host.slice(1, -1) : host;
}

function shortString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_FIELD;
}
