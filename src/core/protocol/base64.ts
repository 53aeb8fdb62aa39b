// Unpadded base64 (spec: appendices, "Unpadded Base64"), its URL-safe variant
// for v4+ event ids, and hex. Pure ES2022: no btoa, no Buffer in the core.

import { utf8Transient } from './utf8.ts';

const STANDARD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Malformed base64 or hex input. */
export class EncodingError extends Error {
  override readonly name = 'EncodingError';
}

/** Standard alphabet, no `=` padding (how Matrix writes hashes, keys and signatures). */
export function encodeBase64(bytes: Uint8Array): string {
  return encode(bytes, STANDARD_CODES);
}

/** URL-safe alphabet (`-` and `_`), no padding: event ids from room version 4 on. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return encode(bytes, URL_SAFE_CODES);
}

/** Decodes standard base64 with or without padding, as the spec asks decoders to accept. */
export function decodeBase64(text: string): Uint8Array {
  return decode(text, STANDARD_VALUES);
}

/** Decodes URL-safe base64 with or without padding. */
export function decodeBase64Url(text: string): Uint8Array {
  return decode(text, URL_SAFE_VALUES);
}

/**
 * Each 3 bytes become 4 ASCII codes in one byte array, which the host's
 * TextDecoder (host.d.ts) turns into the string at once: appending the
 * characters to a string group by group ran 5 to 10 times slower (about
 * 25 MB/s here), and media crosses the extension's runtime ports as base64
 * (link-streams.ts, client-wire.ts), several times per byte.
 */
const ascii = new TextDecoder();

function codeTable(alphabet: string): Uint8Array {
  return Uint8Array.from(alphabet, (c) => c.charCodeAt(0));
}
const STANDARD_CODES = codeTable(STANDARD);
const URL_SAFE_CODES = codeTable(URL_SAFE);

function encode(bytes: Uint8Array, codes: Uint8Array): string {
  const rest = bytes.length % 3;
  const out = new Uint8Array(((bytes.length - rest) / 3) * 4 + (rest === 0 ? 0 : rest + 1));
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = codes[n >> 18]!;
    out[o++] = codes[(n >> 12) & 63]!;
    out[o++] = codes[(n >> 6) & 63]!;
    out[o++] = codes[n & 63]!;
  }
  if (rest > 0) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out[o++] = codes[n >> 18]!;
    out[o++] = codes[(n >> 12) & 63]!;
    if (rest === 2) out[o++] = codes[(n >> 6) & 63]!;
  }
  return ascii.decode(out);
}

/** Values of the alphabet's characters by byte; -1 for every other byte. */
function valueTable(alphabet: string): Int8Array {
  const table = new Int8Array(256).fill(-1);
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
}
const STANDARD_VALUES = valueTable(STANDARD);
const URL_SAFE_VALUES = valueTable(URL_SAFE);

/**
 * Decodes the text's bytes (the host's TextEncoder: about twice as fast as
 * charCodeAt per character), written into a kept buffer: a new one per call
 * cost more than decoding a hash or a signature (utf8Transient).
 */
function decode(text: string, values: Int8Array): Uint8Array {
  const body = stripPadding(text);
  if (body.length % 4 === 1) throw new EncodingError('base64 input has an impossible length');
  const chars = utf8Transient(body);
  // A character beyond ASCII took more than one byte: it is in no alphabet.
  if (chars.length !== body.length) invalidCharacter(body, 0, values);
  const out = new Uint8Array(Math.floor((chars.length * 3) / 4));
  let at = 0;
  let i = 0;
  // Four characters (three bytes) at a time; an invalid one makes the OR negative.
  for (; i + 3 < chars.length; i += 4) {
    const a = values[chars[i]!]!;
    const b = values[chars[i + 1]!]!;
    const c = values[chars[i + 2]!]!;
    const d = values[chars[i + 3]!]!;
    if ((a | b | c | d) < 0) invalidCharacter(body, i, values);
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[at++] = n >> 16;
    out[at++] = (n >> 8) & 0xff;
    out[at++] = n & 0xff;
  }
  // 2 or 3 characters left: 1 or 2 bytes; the last one's unused low bits are ignored.
  if (i < chars.length) {
    const a = values[chars[i]!]!;
    const b = values[chars[i + 1]!]!;
    const c = i + 2 < chars.length ? values[chars[i + 2]!]! : 0;
    if ((a | b | c) < 0) invalidCharacter(body, i, values);
    out[at++] = ((a << 2) | (b >> 4)) & 0xff;
    if (i + 2 < chars.length) out[at++] = ((b << 4) | (c >> 2)) & 0xff;
  }
  return out;
}

/** Throws naming the first character from `from` on that is not in the alphabet. */
function invalidCharacter(body: string, from: number, values: Int8Array): never {
  let at = from;
  while (at < body.length && (values[body.charCodeAt(at)] ?? -1) >= 0) at++;
  throw new EncodingError(`invalid base64 character ${JSON.stringify(body[at] ?? body[from])}`);
}

/** Accepts no padding or exactly the padding RFC 4648 would add, nothing else. */
function stripPadding(text: string): string {
  if (!text.endsWith('=')) return text;
  const body = text.replace(/=+$/, '');
  if (text.length % 4 !== 0 || text.length - body.length > 2)
    throw new EncodingError('invalid base64 padding');
  return body;
}

/** Lower-case hex. */
export function encodeHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX_BYTES[bytes[i]!]!;
  return out;
}
const HEX_BYTES = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Decodes hex of either case; throws EncodingError on odd length or other characters. */
export function decodeHex(text: string): Uint8Array {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) throw new EncodingError('invalid hex string');
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++)
    out[i] = (hexDigit(text.charCodeAt(2 * i)) << 4) | hexDigit(text.charCodeAt(2 * i + 1));
  return out;
}

/** The value of a hex digit already checked by decodeHex's pattern ('0'-'9', 'A'-'F', 'a'-'f'). */
function hexDigit(code: number): number {
  return code <= 0x39 ? code - 0x30 : (code | 0x20) - 0x57;
}
