// Parsing and validating JSON request bodies with the spec's error codes
// (spec: "API Standards", "Standard error response"):
// - bytes that are not UTF-8 JSON: 400 M_NOT_JSON;
// - JSON that is not an object, or a field of the wrong type: 400 M_BAD_JSON;
// - a required field that is absent: 400 M_MISSING_PARAM;
// - a field of the right type with a value out of range: 400 M_INVALID_PARAM.
// Handlers read fields through these helpers so every endpoint answers alike.
import { badJson, invalidParam, missingParam, notJson } from '../errors.ts';
import type { HsRequest } from './types.ts';

/** Largest body the router accepts unless a route says otherwise (routes set `maxBodyBytes`). */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576;

/**
 * A whole event may not exceed 65,536 bytes (spec: "Size limits"), so a body
 * carrying event content larger than that can be refused before parsing.
 */
export const EVENT_CONTENT_MAX_BYTES = 65_536;

export type JsonRecord = Record<string, unknown>;

interface TextDecoderLike {
  decode(input: Uint8Array): string;
}
const TextDecoderCtor = (
  globalThis as unknown as {
    TextDecoder: new (label: string, options: { fatal: boolean }) => TextDecoderLike;
  }
).TextDecoder;
const strictUtf8 = new TextDecoderCtor('utf-8', { fatal: true });

/** The parsed JSON body (any JSON value). Missing, non-UTF-8 or malformed bodies are M_NOT_JSON. */
export function readJson(req: HsRequest): unknown {
  if (req.body === undefined || req.body.length === 0) throw notJson('Request body is not JSON');
  let text: string;
  try {
    text = strictUtf8.decode(req.body);
  } catch {
    throw notJson('Request body is not UTF-8');
  }
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

export function isJsonObject(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function present(obj: JsonRecord, key: string): boolean {
  return obj[key] !== undefined;
}

function required(obj: JsonRecord, key: string): unknown {
  if (!present(obj, key)) throw missingParam(`Missing field ${key}`);
  return obj[key];
}

export function requireString(obj: JsonRecord, key: string): string {
  const value = required(obj, key);
  if (typeof value !== 'string') throw badJson(`Field ${key} must be a string`);
  return value;
}

/** A string, or undefined when absent; `null` counts as absent (clients send it for "unset"). */
export function optionalString(obj: JsonRecord, key: string): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badJson(`Field ${key} must be a string`);
  return value;
}

export function requireBoolean(obj: JsonRecord, key: string): boolean {
  const value = required(obj, key);
  if (typeof value !== 'boolean') throw badJson(`Field ${key} must be a boolean`);
  return value;
}

export function optionalBoolean(obj: JsonRecord, key: string): boolean | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw badJson(`Field ${key} must be a boolean`);
  return value;
}

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
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  return checkInteger(key, value, range);
}

export function requireObject(obj: JsonRecord, key: string): JsonRecord {
  const value = required(obj, key);
  if (!isJsonObject(value)) throw badJson(`Field ${key} must be an object`);
  return value;
}

export function optionalObject(obj: JsonRecord, key: string): JsonRecord | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (!isJsonObject(value)) throw badJson(`Field ${key} must be an object`);
  return value;
}

export function requireArray(obj: JsonRecord, key: string): unknown[] {
  const value = required(obj, key);
  if (!Array.isArray(value)) throw badJson(`Field ${key} must be an array`);
  return value;
}

export function optionalArray(obj: JsonRecord, key: string): unknown[] | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw badJson(`Field ${key} must be an array`);
  return value;
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
