// UTF-8 encoding for hashing and signing: the host's TextEncoder (declared in
// host.d.ts), about ten times faster than the small hand-written encoder,
// which covers a host without one and is what the tests compare it against.

interface TextEncoderLike {
  encode(input: string): Uint8Array;
  encodeInto(source: string, destination: Uint8Array): { read: number; written: number };
}

const platformEncoder: TextEncoderLike | undefined =
  typeof TextEncoder === 'function' ? new TextEncoder() : undefined;

/** UTF-8 bytes of `text`; a lone surrogate becomes U+FFFD, as TextEncoder does. */
export function utf8Encode(text: string): Uint8Array {
  return platformEncoder ? platformEncoder.encode(text) : utf8EncodePure(text);
}

/**
 * Bytes of text no longer than this (in UTF-16 units) go through the kept
 * buffer of utf8Transient: three bytes per unit at most, so 256 KiB covers a
 * whole 64 KiB PDU's text of any alphabet.
 */
const TRANSIENT_MAX_UNITS = 87_381;
let transient: Uint8Array | undefined;

/**
 * UTF-8 bytes of `text` in a buffer the next call overwrites: for bytes
 * used at once and never kept (hashed, decoded from base64), where a new
 * array per call cost more than the encoding (600 characters, Node 24.21:
 * TextEncoder.encode 1.2 µs, encodeInto a kept buffer 0.05 µs; an array
 * over 64 bytes is allocated outside the JS heap, in V8 as in Node, and
 * its memory counts towards the next garbage collection). The caller must
 * be done with the bytes before it calls anything that may call this again.
 */
export function utf8Transient(text: string): Uint8Array {
  if (!platformEncoder || text.length > TRANSIENT_MAX_UNITS) return utf8Encode(text);
  if (!transient || transient.length < text.length * 3) {
    // Grown to the largest text seen, in powers of two: a few steps at most.
    let size = transient?.length ?? 1024;
    while (size < text.length * 3) size *= 2;
    transient = new Uint8Array(size);
  }
  const { written } = platformEncoder.encodeInto(text, transient);
  return transient.subarray(0, written);
}

/** The portable encoder behind utf8Encode, exported for tests. */
export function utf8EncodePure(text: string): Uint8Array {
  const out = new Uint8Array(utf8ByteLength(text));
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const cp = codePointAt(text, i);
    if (cp > 0xffff) i++;
    if (cp < 0x80) {
      out[at++] = cp;
    } else if (cp < 0x800) {
      out[at++] = 0xc0 | (cp >> 6);
      out[at++] = 0x80 | (cp & 0x3f);
    } else if (cp < 0x10000) {
      out[at++] = 0xe0 | (cp >> 12);
      out[at++] = 0x80 | ((cp >> 6) & 0x3f);
      out[at++] = 0x80 | (cp & 0x3f);
    } else {
      out[at++] = 0xf0 | (cp >> 18);
      out[at++] = 0x80 | ((cp >> 12) & 0x3f);
      out[at++] = 0x80 | ((cp >> 6) & 0x3f);
      out[at++] = 0x80 | (cp & 0x3f);
    }
  }
  return out;
}

/**
 * Number of bytes `text` takes in UTF-8, without allocating (the spec's
 * 255-byte limits, every received PDU's 64 KiB): one byte per UTF-16 unit,
 * plus one for units from U+0080, two from U+0800; a surrogate pair (two
 * units) is four bytes, a lone surrogate U+FFFD's three.
 */
export function utf8ByteLength(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) bytes += 1;
    else {
      bytes += 2;
      // A pair's second unit adds nothing more (charCodeAt past the end is NaN).
      const next = text.charCodeAt(i + 1);
      if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return bytes;
}

/** Code point at UTF-16 index i, with lone surrogates replaced by U+FFFD. */
function codePointAt(text: string, i: number): number {
  const unit = text.charCodeAt(i);
  if (unit < 0xd800 || unit > 0xdfff) return unit;
  if (unit <= 0xdbff && i + 1 < text.length) {
    const next = text.charCodeAt(i + 1);
    if (next >= 0xdc00 && next <= 0xdfff) return 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00);
  }
  return 0xfffd;
}
