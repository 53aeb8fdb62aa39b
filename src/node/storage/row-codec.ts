// Rows as JSON text, keeping the non-JSON values the port allows: Uint8Array,
// and the numbers JSON cannot say (±Infinity, NaN, -0), which can be keys.
//
// Such values become one-key tag objects whose key starts with U+0001:
// {"\u0001": "<base64>"} for bytes, {"\u0001n": "-Infinity"} for numbers. A
// row's own keys that start with U+0001 get one more U+0001 in front, so tags
// and data never meet. Rows with none of these (nearly all) are plain
// JSON.stringify / JSON.parse, which is several times faster than a reviver.

import { Buffer } from 'node:buffer';
import type { Row } from '../../core/storage.ts';

const MARK = '\u0001';
const BYTES = MARK;
const NUMBER = `${MARK}n`;
/** How U+0001 appears in JSON text: any tagged or escaped row contains it. */
const MARK_IN_JSON = '\\u0001';

export function encodeRow(row: Row): string {
  return isPlainJson(row) ? JSON.stringify(row) : JSON.stringify(row, tagReplacer);
}

export function decodeRow(text: string): Row {
  const value = JSON.parse(text) as Row;
  return text.includes(MARK_IN_JSON) ? (untag(value) as Row) : value;
}

const isSpecialNumber = (value: number) => !Number.isFinite(value) || Object.is(value, -0);

function isPlainJson(value: unknown): boolean {
  if (typeof value === 'number') return !isSpecialNumber(value);
  if (value === null || typeof value !== 'object') return true;
  if (value instanceof Uint8Array) return false;
  if (Array.isArray(value)) return value.every(isPlainJson);
  for (const key in value) {
    if (key.startsWith(MARK) || !isPlainJson((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** `this[key]` is the value before toJSON, so a Buffer is still seen as bytes. */
function tagReplacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (raw instanceof Uint8Array)
    return { [BYTES]: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') };
  if (typeof raw === 'number' && isSpecialNumber(raw))
    return { [NUMBER]: Object.is(raw, -0) ? '-0' : String(raw) };
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (entries.some(([k]) => k.startsWith(MARK))) {
      return Object.fromEntries(entries.map(([k, v]) => [k.startsWith(MARK) ? MARK + k : k, v]));
    }
  }
  return value;
}

function untag(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(untag);
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [key, text] = entries[0]!;
    if (key === BYTES) return new Uint8Array(Buffer.from(text as string, 'base64'));
    if (key === NUMBER) return text === '-0' ? -0 : Number(text);
  }
  return Object.fromEntries(entries.map(([k, v]) => [k.startsWith(MARK) ? k.slice(1) : k, untag(v)]));
}
