// Parsing and validating JSON request bodies with the spec's error codes
// (spec: "API Standards", "Standard error response"):
// - bytes that are not UTF-8 JSON: 400 M_NOT_JSON;
// - JSON that is not an object, or a field of the wrong type: 400 M_BAD_JSON;
// - a required field that is absent: 400 M_MISSING_PARAM;
// - a field of the right type with a value out of range: 400 M_INVALID_PARAM.
// Handlers read fields through these helpers so every endpoint answers alike.
import { badJson, invalidParam, missingParam, notJson } from '../errors.ts';
import { MAX_DEPTH, nestingWithin } from '../protocol/canonical-json.ts';
import { isJsonObject } from '../protocol/types.ts';
import type { HsRequest } from './types.ts';

/** Largest body the router accepts unless a route says otherwise (routes set `maxBodyBytes`). */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576;

export type JsonRecord = Record<string, unknown>;

/** Throws on bytes that are not UTF-8 (the host's TextDecoder, declared in host.d.ts). */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The parsed JSON body (any JSON value). Missing, non-UTF-8 or malformed bodies are M_NOT_JSON. */
export function readJson(req: HsRequest): unknown {
  if (req.body === undefined || req.body.length === 0) throw notJson('Request body is not JSON');
  let text: string;
  try {
    text = strictUtf8.decode(req.body);
  } catch {
    throw notJson('Request body is not UTF-8');
  }
  if (!nestingWithin(text)) throw badJson(`Request body nests deeper than ${MAX_DEPTH} levels`);
  try {
    return JSON.parse(text);
  } catch {
    throw notJson('Request body is not JSON');
  }
}

/** The body as a JSON object (spec: POST and PUT bodies are objects). */
export function jsonObjectBody(req: HsRequest): JsonRecord {
  const value = readJson(req);
  if (!isJsonObject(value)) throw badJson('Content must be a JSON object');
  return value;
}

/** Like jsonObjectBody, but an absent or empty body reads as `{}` (logout, join, leave...). */
export function optionalJsonObjectBody(req: HsRequest): JsonRecord {
  if (req.body === undefined || req.body.length === 0) return {};
  return jsonObjectBody(req);
}

export { isJsonObject };

/** A field's value, or undefined when absent; `null` counts as absent (clients send it for "unset"). */
function optionalValue(obj: JsonRecord, key: string): unknown {
  const value = obj[key];
  return value === null ? undefined : value;
}

function required(obj: JsonRecord, key: string): unknown {
  const value = obj[key];
  if (value === undefined) throw missingParam(`Missing field ${key}`);
  return value;
}

/** The required and the optional reader of fields of one JSON type (absent: M_MISSING_PARAM or undefined). */
function fieldReaders<T>(what: string, is: (value: unknown) => value is T) {
  const check = (key: string, value: unknown): T => {
    if (!is(value)) throw badJson(`Field ${key} must be ${what}`);
    return value;
  };
  return [
    (obj: JsonRecord, key: string): T => check(key, required(obj, key)),
    (obj: JsonRecord, key: string): T | undefined => {
      const value = optionalValue(obj, key);
      return value === undefined ? undefined : check(key, value);
    },
  ] as const;
}

export const [requireString, optionalString] = fieldReaders(
  'a string',
  (value): value is string => typeof value === 'string',
);
export const [requireBoolean, optionalBoolean] = fieldReaders(
  'a boolean',
  (value): value is boolean => typeof value === 'boolean',
);
export const [requireObject, optionalObject] = fieldReaders('an object', isJsonObject);
export const [requireArray, optionalArray] = fieldReaders('an array', (value): value is unknown[] =>
  Array.isArray(value),
);

export interface IntegerRange {
  readonly min?: number;
  readonly max?: number;
}

function checkInteger(key: string, value: unknown, range: IntegerRange): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw badJson(`Field ${key} must be an integer`);
  if (range.min !== undefined && value < range.min)
    throw invalidParam(`Field ${key} must be at least ${range.min}`);
  if (range.max !== undefined && value > range.max)
    throw invalidParam(`Field ${key} must be at most ${range.max}`);
  return value;
}

export function requireInteger(obj: JsonRecord, key: string, range: IntegerRange = {}): number {
  return checkInteger(key, required(obj, key), range);
}

export function optionalInteger(obj: JsonRecord, key: string, range: IntegerRange = {}): number | undefined {
  const value = optionalValue(obj, key);
  return value === undefined ? undefined : checkInteger(key, value, range);
}

export function requireStringArray(obj: JsonRecord, key: string): string[] {
  return checkStrings(key, requireArray(obj, key));
}

export function optionalStringArray(obj: JsonRecord, key: string): string[] | undefined {
  const value = optionalArray(obj, key);
  return value === undefined ? undefined : checkStrings(key, value);
}

function checkStrings(key: string, values: unknown[]): string[] {
  if (!values.every((v) => typeof v === 'string')) throw badJson(`Field ${key} must be an array of strings`);
  return values as string[];
}

/** One of the allowed string values, or undefined when absent. */
export function optionalEnum<T extends string>(
  obj: JsonRecord,
  key: string,
  allowed: readonly T[],
): T | undefined {
  const value = optionalString(obj, key);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw invalidParam(`Field ${key} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

export function requireEnum<T extends string>(obj: JsonRecord, key: string, allowed: readonly T[]): T {
  const value = optionalEnum(obj, key, allowed);
  if (value === undefined) throw missingParam(`Missing field ${key}`);
  return value;
}
