// Reading query parameters with the spec's errors: a value that is present
// but not of the expected form is 400 M_INVALID_PARAM, a missing required one
// 400 M_MISSING_PARAM.
import { invalidParam, missingParam } from '../errors.ts';
import type { HsRequest } from './types.ts';

/** The first value of `name`, or undefined. */
export function queryParam(req: HsRequest, name: string): string | undefined {
  const value = req.query[name];
  return typeof value === 'string' ? value : value?.[0];
}

/** Every value of `name`, in order. */
export function queryParams(req: HsRequest, name: string): readonly string[] {
  const value = req.query[name];
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : value;
}

export function requireQueryParam(req: HsRequest, name: string): string {
  const value = queryParam(req, name);
  if (value === undefined) throw missingParam(`Missing query parameter ${name}`);
  return value;
}

export interface IntegerBounds {
  readonly min?: number;
  readonly max?: number;
}

/** A decimal integer within bounds, or undefined when absent. */
export function queryInteger(req: HsRequest, name: string, bounds: IntegerBounds = {}): number | undefined {
  const raw = queryParam(req, name);
  if (raw === undefined) return undefined;
  const value = /^-?\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value)) throw invalidParam(`Query parameter ${name} must be an integer`);
  if (bounds.min !== undefined && value < bounds.min)
    throw invalidParam(`${name} must be at least ${bounds.min}`);
  if (bounds.max !== undefined && value > bounds.max)
    throw invalidParam(`${name} must be at most ${bounds.max}`);
  return value;
}

/** `true` or `false`, or undefined when absent. */
export function queryBoolean(req: HsRequest, name: string): boolean | undefined {
  const raw = queryParam(req, name);
  if (raw === undefined) return undefined;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw invalidParam(`Query parameter ${name} must be true or false`);
}
