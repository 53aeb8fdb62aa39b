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

/** The sortable bytes of a key; throws DataError for values that are not valid keys. */
export function encodeKey(key: Key): Uint8Array {
  const out: number[] = [];
  write(out, key, 0);
  return Uint8Array.from(out);
}

function write(out: number[], key: unknown, depth: number): void {
  if (typeof key === 'number') {
    if (Number.isNaN(key)) throw new StorageError('DataError', 'NaN is not a valid key');
    out.push(NUMBER);
    writeNumber(out, key);
  } else if (typeof key === 'string') {
    out.push(STRING);
    writeString(out, key);
    out.push(END);
  } else if (Array.isArray(key) && depth < MAX_DEPTH) {
    out.push(ARRAY);
    for (const element of key) write(out, element, depth + 1);
    out.push(END);
  } else {
    throw new StorageError('DataError', `not a valid key: ${String(key)}`);
  }
}

function writeNumber(out: number[], value: number): void {
  float.setFloat64(0, value === 0 ? 0 : value);
  const negative = (float.getUint8(0) & 0x80) !== 0;
  for (let i = 0; i < 8; i++) {
    const byte = float.getUint8(i);
    out.push(negative ? ~byte & 0xff : i === 0 ? byte ^ 0x80 : byte);
  }
}

function writeString(out: number[], value: string): void {
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit === 0) out.push(END, ESCAPE);
    else if (unit < 0x80) out.push(unit);
    else if (unit < 0x800) out.push(0xc0 | (unit >> 6), 0x80 | (unit & 0x3f));
    else out.push(0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f));
  }
}
