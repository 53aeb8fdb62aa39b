// An order-preserving byte encoding of IndexedDB keys, so that SQLite's BLOB
// comparison (memcmp, then shorter first) sorts keys exactly as IndexedDB's
// compare does (W3C IndexedDB 3.0, §2.3 "compare two keys"):
//
// 1. Types sort number < string < array: each value starts with a type tag
//    (0x10, 0x20, 0x30) that are in that order.
// 2. Numbers are 8 bytes of big-endian float64, with the sign bit flipped for
//    positives and every bit flipped for negatives, so bytes sort numerically
//    (-0 is encoded as 0, as IndexedDB treats them as one key).
// 3. Strings compare by UTF-16 code unit. Each code unit is written as the
//    1 to 3 byte UTF-8 form of its value (surrogates too, as CESU-8 does),
//    which keeps code unit order and keeps ASCII one byte wide. The string ends
//    with 0x00; a 0x00 inside it is written 0x00 0xFF. A string then sorts
//    before every longer string it is a prefix of, because its terminator
//    0x00 is followed by a tag, an array end or nothing, all below 0xFF.
// 4. Arrays are their elements in order, then 0x00, which is below every tag,
//    so an array sorts before the longer arrays it is a prefix of.

import { type Key, StorageError } from '../../core/storage.ts';

const NUMBER = 0x10;
const STRING = 0x20;
const ARRAY = 0x30;
const END = 0x00;
const ESCAPE = 0xff;
/** Arrays nested deeper than this are refused rather than followed (they may be cyclic). */
const MAX_DEPTH = 32;

const float = new DataView(new ArrayBuffer(8));

/**
 * The bytes being written: one buffer reused by every call (a key is encoded
 * for each row written and read, several per row with its indexes), copied
 * out at the end; it grows to the largest key seen.
 */
let out = new Uint8Array(256);
let at = 0;

function room(bytes: number): void {
  if (at + bytes <= out.length) return;
  const grown = new Uint8Array(Math.max(out.length * 2, at + bytes));
  grown.set(out.subarray(0, at));
  out = grown;
}

/** The sortable bytes of a key; throws DataError for values that are not valid keys. */
export function encodeKey(key: Key): Uint8Array {
  at = 0;
  write(key, 0);
  return out.slice(0, at);
}

function write(key: unknown, depth: number): void {
  if (typeof key === 'number') {
    if (Number.isNaN(key)) throw new StorageError('DataError', 'NaN is not a valid key');
    room(9);
    out[at++] = NUMBER;
    writeNumber(key);
  } else if (typeof key === 'string') {
    // At most 3 bytes a code unit (a 0x00 takes 2), the tag and the end.
    room(3 * key.length + 2);
    out[at++] = STRING;
    writeString(key);
    out[at++] = END;
  } else if (Array.isArray(key) && depth < MAX_DEPTH) {
    room(1);
    out[at++] = ARRAY;
    for (const element of key) write(element, depth + 1);
    room(1);
    out[at++] = END;
  } else {
    throw new StorageError('DataError', `not a valid key: ${String(key)}`);
  }
}

function writeNumber(value: number): void {
  float.setFloat64(0, value === 0 ? 0 : value);
  const negative = (float.getUint8(0) & 0x80) !== 0;
  for (let i = 0; i < 8; i++) {
    const byte = float.getUint8(i);
    out[at++] = negative ? ~byte & 0xff : i === 0 ? byte ^ 0x80 : byte;
  }
}

function writeString(value: string): void {
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit === 0) {
      out[at++] = END;
      out[at++] = ESCAPE;
    } else if (unit < 0x80) {
      out[at++] = unit;
    } else if (unit < 0x800) {
      out[at++] = 0xc0 | (unit >> 6);
      out[at++] = 0x80 | (unit & 0x3f);
    } else {
      out[at++] = 0xe0 | (unit >> 12);
      out[at++] = 0x80 | ((unit >> 6) & 0x3f);
      out[at++] = 0x80 | (unit & 0x3f);
    }
  }
}
