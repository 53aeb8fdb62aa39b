// Key extraction with IndexedDB's rules (W3C IndexedDB 3.0, §7.4 "extract a key
// from a value using a key path" and §7.1 "convert a value to a key"), for
// implementations that are not IndexedDB and must index rows themselves.

import type { IndexSpec, Key, Row } from './port.ts';

/** A valid key: a non-NaN number, a string, or an array of valid keys. */
export function isValidKey(value: unknown): value is Key {
  if (typeof value === 'number') return !Number.isNaN(value);
  if (typeof value === 'string') return true;
  return Array.isArray(value) && value.every(isValidKey);
}

/** The value at a dotted key path ('content.body'), or undefined when a step is missing. */
export function valueAtPath(row: Row, path: string): unknown {
  if (path === '') return row;
  // Nearly every path is one step: no split, no array, for each row written.
  if (!path.includes('.')) return row[path];
  let value: unknown = row;
  for (const step of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[step];
  }
  return value;
}

/**
 * The key of a row under a key path, or undefined when the row has no valid
 * key there (such rows are left out of an index). A compound path yields the
 * array of its parts, and is undefined as soon as one part is.
 */
export function keyAtPath(row: Row, path: string | readonly string[]): Key | undefined {
  if (typeof path === 'string') {
    const value = valueAtPath(row, path);
    return isValidKey(value) ? value : undefined;
  }
  const parts: (number | string)[] = [];
  for (const step of path) {
    const value = valueAtPath(row, step);
    if (!isValidKey(value)) return undefined;
    parts.push(value as number | string);
  }
  return parts;
}

/** A key as a map's string: JSON tells 1 from "1" and keeps array structure; strings skip it. */
export function keyId(key: Key): string {
  return typeof key === 'string' ? `s${key}` : JSON.stringify(key);
}

/** The key path of an index, and whether it is multiEntry. */
export function indexPath(spec: IndexSpec): { path: string | readonly string[]; multiEntry: boolean } {
  return typeof spec === 'string' || Array.isArray(spec)
    ? { path: spec as string | readonly string[], multiEntry: false }
    : { path: (spec as { path: string }).path, multiEntry: true };
}

/**
 * The keys of a row in a multiEntry index at `path` (W3C IndexedDB 3.0,
 * §7.5 "extract a key from a value using a key path" with multiEntry): each
 * distinct valid key of an array, in no particular order, or the one valid
 * key that is not an array; none when the row has none there.
 */
export function multiEntryKeys(row: Row, path: string): Key[] {
  const value = valueAtPath(row, path);
  if (!Array.isArray(value)) return isValidKey(value) ? [value] : [];
  const keys: Key[] = [];
  const seen = new Set<string>();
  for (const element of value) {
    if (!isValidKey(element)) continue;
    const id = keyId(element);
    if (seen.has(id)) continue;
    seen.add(id);
    keys.push(element);
  }
  return keys;
}

/**
 * Orders two keys as IndexedDB does (W3C IndexedDB 3.0, §2.6 "compare two
 * keys"): numbers before strings before arrays, strings by code units (as
 * JavaScript's `<`), arrays element by element and then by length. Throws for
 * a value that is not a number, string or array of them (dates and binary
 * keys are not compared here: callers give up on such keys).
 */
export function compareKeys(a: Key, b: Key): number {
  const ta = keyType(a);
  const tb = keyType(b);
  if (ta !== tb) return ta - tb;
  if (ta === 2) {
    const x = a as readonly Key[];
    const y = b as readonly Key[];
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      const order = compareKeys(x[i]!, y[i]!);
      if (order !== 0) return order;
    }
    return x.length - y.length;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function keyType(key: unknown): number {
  if (typeof key === 'number' && !Number.isNaN(key)) return 0;
  if (typeof key === 'string') return 1;
  if (Array.isArray(key)) return 2;
  throw new TypeError('not a key this compares');
}
