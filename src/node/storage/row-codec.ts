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
  const kind = jsonKind(row);
  if (kind === TAGGED) return JSON.stringify(row, tagReplacer);
  return JSON.stringify(kind === FROZEN ? thawed(row) : row);
}

export function decodeRow(text: string): Row {
  const value = JSON.parse(text) as Row;
  return text.includes(MARK_IN_JSON) ? (untag(value) as Row) : value;
}

const isSpecialNumber = (value: number) => !Number.isFinite(value) || Object.is(value, -0);

/** Plain JSON as it is. */
const PLAIN = 0;
/**
 * Plain JSON with frozen arrays (an event row's search entries, frozen to be
 * shared by copies: search-index.ts, storage/copy-row.ts), which V8's
 * JSON.stringify serialises on its slow path: a received message's event
 * row took 3.2-3.9 µs as it is and 2.2-2.7 µs thawed first (Node 24.21,
 * issue 13).
 */
const FROZEN = 1;
/** Holds bytes, numbers JSON cannot say or a key starting with U+0001: tagged. */
const TAGGED = 2;

function jsonKind(value: unknown): number {
  if (typeof value === 'number') return isSpecialNumber(value) ? TAGGED : PLAIN;
  if (value === null || typeof value !== 'object') return PLAIN;
  if (value instanceof Uint8Array) return TAGGED;
  let kind = Array.isArray(value) && Object.isFrozen(value) ? FROZEN : PLAIN;
  if (Array.isArray(value)) {
    for (const member of value) {
      kind = Math.max(kind, jsonKind(member));
      if (kind === TAGGED) return TAGGED;
    }
    return kind;
  }
  for (const key in value) {
    if (key.startsWith(MARK)) return TAGGED;
    kind = Math.max(kind, jsonKind((value as Record<string, unknown>)[key]));
    if (kind === TAGGED) return TAGGED;
  }
  return kind;
}

/**
 * The value with its frozen arrays copied (unfrozen), and the arrays and
 * objects holding them shallow-copied; everything else shared.
 */
function thawed(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let out: unknown[] = Object.isFrozen(value) ? [...value] : value;
    for (let i = 0; i < value.length; i++) {
      const member = thawed(value[i]);
      if (member === value[i]) continue;
      if (out === value) out = [...value];
      out[i] = member;
    }
    return out;
  }
  let out = value as Record<string, unknown>;
  for (const key in value) {
    const member = (value as Record<string, unknown>)[key];
    const copy = thawed(member);
    if (copy === member) continue;
    if (out === value) out = { ...out };
    // An own "__proto__" member (a peer's JSON may hold one): assigning it would set the prototype.
    Object.defineProperty(out, key, { value: copy, writable: true, enumerable: true, configurable: true });
  }
  return out;
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
