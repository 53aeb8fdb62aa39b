// Matrix canonical JSON (spec: appendices, "Canonical JSON"): the shortest
// UTF-8 JSON with object keys sorted by Unicode code point, integers only in
// [-(2**53)+1, (2**53)-1], no `-0`, and only the escapes of the spec's grammar.
//
// Why not the `canonicaljson` npm package: it implements a different
// specification (gibson042's canonicaljson-spec), and against the Matrix one it
// writes upper-case escapes (`\u001F` where Matrix requires `\u001f`), encodes
// floats as `1.5E0` and NaN as `NAN` instead of refusing them, writes
// out-of-range integers such as 1e20 (and fails on others, like 2**53, with a
// BigNumber error), turns `undefined` into `null`, and escapes lone surrogates.
// test/core/protocol/canonicaljson-package.test.ts pins each difference. JSON.stringify already escapes strings exactly as the
// grammar demands, so ours is a few dozen lines that only add key order and
// the number rules, with the spec's examples as tests.

import { allowed, denied } from './types.ts';
import type { JsonValue, Verdict } from './types.ts';

/** Largest integer canonical JSON allows (2**53 - 1); the smallest is its negation. */
export const MAX_CANONICAL_INT = Number.MAX_SAFE_INTEGER;

/**
 * Nesting limit. The spec sets none, but Synapse's encoder stops at Python's
 * recursion limit (1000) and without one a hostile 64 KiB array of arrays
 * would overflow our stack.
 */
export const MAX_DEPTH = 1000;

/**
 * Whether JSON text nests arrays and objects at most `max` levels deep,
 * scanned before it is parsed: whatever a peer or a client sends is parsed
 * only when every later step (canonical JSON, structuredClone into the store,
 * the row codecs) can walk it without overflowing the stack. Brackets inside
 * strings do not count.
 */
export function nestingWithin(text: string, max = MAX_DEPTH): boolean {
  if (opensAtMost(text, max)) return true;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return false;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return true;
}

/**
 * Whether `text` holds at most `max` opening brackets, inside strings or not:
 * then nothing in it can nest deeper. Nearly every body does (a transaction
 * of 50 PDUs has about 500), and indexOf finds them faster than the scan
 * above walks every character (40 KB, Node 24: 3.5 against 84 µs).
 */
function opensAtMost(text: string, max: number): boolean {
  let opens = 0;
  for (const open of ['{', '[']) {
    for (let i = text.indexOf(open); i !== -1; i = text.indexOf(open, i + 1)) {
      if (++opens > max) return false;
    }
  }
  return true;
}

/** In `u` mode this matches only unpaired surrogates, which UTF-8 cannot encode. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
/**
 * Printable ASCII but `"` and `\`: such a string is its own JSON text between
 * quotes. Nearly every string of an event is (keys, ids, hashes, signatures),
 * and one test of this is cheaper than LONE_SURROGATE's and JSON.stringify's
 * (per string of an event, Node 24.21, load 15: 420-920 → 330-840 ns).
 */
const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** A value that has no canonical JSON encoding; `path` says where it sits (`content.amounts[2]`). */
export class CanonicalJsonError extends Error {
  override readonly name = 'CanonicalJsonError';
  readonly problem: string;
  path = '';

  constructor(problem: string) {
    super(problem);
    this.problem = problem;
  }

  /** Adds an enclosing key or index while the error travels up the value. */
  within(segment: string | number): this {
    const inner = this.path === '' || this.path.startsWith('[') ? this.path : `.${this.path}`;
    this.path = typeof segment === 'number' ? `[${segment}]${inner}` : `${segment}${inner}`;
    this.message = `${this.path}: ${this.problem}`;
    return this;
  }
}

/** Encodes `value` as canonical JSON; throws CanonicalJsonError for anything outside the spec's grammar. */
export function canonicalJson(value: unknown): string {
  return encode(value, 0);
}

/**
 * Canonical JSON of several objects that share their members with one
 * source object, each shared member encoded once: a received PDU is encoded
 * whole (its size), without its signatures and hashes (its content hash) and
 * redacted (its signatures and event id), and the three share nearly every
 * member. A member counts as shared when it is the source's very value.
 */
export class CanonicalMembers {
  private readonly source: Record<string, unknown>;
  private readonly encoded = new Map<string, string>();

  constructor(source: Record<string, unknown>) {
    this.source = source;
  }

  /** canonicalJson(object) without the keys in `omit`; throws CanonicalJsonError as it does. */
  encode(object: Record<string, unknown>, omit: readonly string[] = []): string {
    if (!isPlainObject(object)) throw new CanonicalJsonError('not a plain JSON object');
    const keys = Object.keys(object)
      .filter((key) => !omit.includes(key))
      .sort(compareCodePoints);
    let out = '{';
    for (let i = 0; i < keys.length; i++) {
      if (i > 0) out += ',';
      out += this.member(object, keys[i]!);
    }
    return `${out}}`;
  }

  /** `"key":value` as canonical JSON, the source's members remembered. */
  member(object: Record<string, unknown>, key: string): string {
    const shared =
      object === this.source || (Object.hasOwn(this.source, key) && object[key] === this.source[key]);
    const known = shared ? this.encoded.get(key) : undefined;
    if (known !== undefined) return known;
    let text: string;
    try {
      // Members of a top-level object are at depth 1, as encodeObject puts them.
      text = `${encodeString(key)}:${encode(object[key], 1)}`;
    } catch (error) {
      throw error instanceof CanonicalJsonError ? error.within(key) : error;
    }
    if (shared) this.encoded.set(key, text);
    return text;
  }
}

/** canonicalJson as a result instead of an exception. */
export function tryCanonicalJson(value: unknown): { ok: true; json: string } | { ok: false; reason: string } {
  try {
    return { ok: true, json: canonicalJson(value) };
  } catch (error) {
    if (error instanceof CanonicalJsonError) return { ok: false, reason: error.message };
    throw error;
  }
}

/** Whether an already parsed value is canonical JSON (no floats, integers in range, no lone surrogates). */
export function checkJsonValue(value: unknown): Verdict {
  const result = tryCanonicalJson(value);
  return result.ok ? allowed : denied(result.reason);
}

/**
 * Parses JSON received from a peer and rejects what canonical JSON forbids.
 * Beyond checkJsonValue it reads the number literals of the text: `1.0` and
 * `1e10` are integral once parsed but are floats on the wire, which Synapse
 * and gomatrixserverlib reject in room versions 6 and later.
 */
export function parseCanonicalJsonSafe(
  text: string,
): { ok: true; value: JsonValue } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not valid JSON: ${(error as Error).message}` };
  }
  const float = findNonIntegerLiteral(text);
  if (float !== undefined) return { ok: false, reason: `number ${float} is not an integer` };
  const check = checkJsonValue(value);
  return check.ok ? { ok: true, value: value as JsonValue } : check;
}

function encode(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return encodeString(value);
    case 'number':
      return encodeNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (depth >= MAX_DEPTH) throw new CanonicalJsonError(`nested deeper than ${MAX_DEPTH} levels`);
      if (Array.isArray(value)) return encodeArray(value, depth + 1);
      if (isPlainObject(value)) return encodeObject(value, depth + 1);
      throw new CanonicalJsonError(`${value.constructor?.name ?? 'object'} is not a plain JSON object`);
    default:
      throw new CanonicalJsonError(`${typeof value} is not a JSON value`);
  }
}

function encodeString(text: string): string {
  if (PLAIN_ASCII.test(text)) return `"${text}"`;
  if (LONE_SURROGATE.test(text)) throw new CanonicalJsonError('string contains a lone UTF-16 surrogate');
  // JSON.stringify writes exactly the grammar's escapes: \" \\ \b \t \n \f \r
  // and lower-case \u00XX for the other control characters, nothing else.
  return JSON.stringify(text);
}

function encodeNumber(n: number): string {
  if (!Number.isFinite(n)) throw new CanonicalJsonError(`${n} is not a JSON number`);
  if (!Number.isInteger(n)) throw new CanonicalJsonError(`${n} is not an integer`);
  if (Math.abs(n) > MAX_CANONICAL_INT)
    throw new CanonicalJsonError(`${n} is outside [-(2**53)+1, (2**53)-1]`);
  // Safe integers never print with an exponent; -0 prints as "0".
  return String(n);
}

function encodeArray(items: unknown[], depth: number): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ',';
    try {
      out += encode(items[i], depth);
    } catch (error) {
      throw error instanceof CanonicalJsonError ? error.within(i) : error;
    }
  }
  return `${out}]`;
}

function encodeObject(object: Record<string, unknown>, depth: number): string {
  const keys = Object.keys(object).sort(compareCodePoints);
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (i > 0) out += ',';
    try {
      out += `${encodeString(key)}:${encode(object[key], depth)}`;
    } catch (error) {
      throw error instanceof CanonicalJsonError ? error.within(key) : error;
    }
  }
  return `${out}}`;
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Orders strings by Unicode code point. JavaScript's default sort compares
 * UTF-16 code units, which puts astral characters (surrogates D800-DFFF)
 * before U+E000-U+FFFF; ranking surrogates above that block fixes it.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codeUnitRank(x) - codeUnitRank(y);
  }
  return a.length - b.length;
}

function codeUnitRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}

/** First number literal of valid JSON text that has a fraction or an exponent. */
function findNonIntegerLiteral(text: string): string | undefined {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      let end = i + 1;
      while (end < text.length && '0123456789+-.eE'.includes(text[end]!)) end++;
      const literal = text.slice(i, end);
      if (/[.eE]/.test(literal)) return literal;
      i = end - 1;
    }
  }
  return undefined;
}
