// Unpadded base64 (spec: appendices, "Unpadded Base64"), its URL-safe variant
// for v4+ event ids, and hex. Pure ES2022: no btoa, no Buffer in the core.

const STANDARD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Malformed base64 or hex input. */
export class EncodingError extends Error {
  override readonly name = 'EncodingError';
}

/** Standard alphabet, no `=` padding (how Matrix writes hashes, keys and signatures). */
export function encodeBase64(bytes: Uint8Array): string {
  return encode(bytes, STANDARD);
}

/** URL-safe alphabet (`-` and `_`), no padding: event ids from room version 4 on. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return encode(bytes, URL_SAFE);
}

/** Decodes standard base64 with or without padding, as the spec asks decoders to accept. */
export function decodeBase64(text: string): Uint8Array {
  return decode(text, STANDARD_VALUES);
}

/** Decodes URL-safe base64 with or without padding. */
export function decodeBase64Url(text: string): Uint8Array {
  return decode(text, URL_SAFE_VALUES);
}

function encode(bytes: Uint8Array, alphabet: string): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + alphabet[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]!;
  }
  return out;
}

function valueTable(alphabet: string): Int8Array {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
}
const STANDARD_VALUES = valueTable(STANDARD);
const URL_SAFE_VALUES = valueTable(URL_SAFE);

function decode(text: string, values: Int8Array): Uint8Array {
  const body = stripPadding(text);
  if (body.length % 4 === 1) throw new EncodingError('base64 input has an impossible length');
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let bits = 0;
  let buffer = 0;
  let at = 0;
  for (let i = 0; i < body.length; i++) {
    const code = body.charCodeAt(i);
    const value = code < 128 ? values[code]! : -1;
    if (value < 0) throw new EncodingError(`invalid base64 character ${JSON.stringify(body[i])}`);
    buffer = ((buffer << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (buffer >> bits) & 0xff;
    }
  }
  return out;
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
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}
