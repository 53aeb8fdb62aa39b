// The body of POST /search (spec: "Server Side Search"), validated: only the
// `room_events` category exists. Every malformed field is a 400 with the
// spec's error code, never a failure further in.
import { badJson, invalidParam } from '../errors.ts';
import { parseRoomEventFilter, type RoomEventFilter } from '../events/filter.ts';
import {
  type JsonRecord,
  optionalArray,
  optionalBoolean,
  optionalEnum,
  optionalInteger,
  optionalObject,
  optionalStringArray,
  requireObject,
  requireString,
} from '../http/json-body.ts';
import { isJsonObject } from '../protocol/types.ts';
import { SEARCH_KEYS, type SearchKey, terms } from './search-text.ts';

/** Distinct terms a search may ask for (every one is looked up in every room searched). */
export const MAX_QUERY_TERMS = 32;
export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 100;
const MAX_CONTEXT = 50;

export type GroupKey = 'room_id' | 'sender';

export interface EventContextRequest {
  readonly before: number;
  readonly after: number;
  readonly includeProfile: boolean;
}

export interface SearchRequest {
  readonly terms: readonly string[];
  /** Index key codes searched (search-text.ts). */
  readonly codes: ReadonlySet<string>;
  readonly filter: RoomEventFilter | undefined;
  readonly includeLeave: boolean;
  readonly limit: number;
  readonly orderBy: 'rank' | 'recent';
  readonly context: EventContextRequest | undefined;
  readonly includeState: boolean;
  readonly groupBy: readonly GroupKey[];
}

/** The room_events criteria, or undefined when the body asks for no room events. */
export function parseSearchBody(body: JsonRecord): SearchRequest | undefined {
  const categories = requireObject(body, 'search_categories');
  const criteria = optionalObject(categories, 'room_events');
  if (criteria === undefined) return undefined;
  const term = requireString(criteria, 'search_term');
  const words = [...new Set(terms(term))];
  if (words.length > MAX_QUERY_TERMS)
    throw invalidParam(`search_term has more than ${MAX_QUERY_TERMS} words`);
  const filterJson = criteria.filter;
  const filter =
    filterJson === undefined || filterJson === null ? undefined : parseRoomEventFilter(filterJson);
  const includeLeave = isJsonObject(filterJson) && filterJson.include_leave === true;
  const limit = filter?.limit ?? DEFAULT_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 0)
    throw invalidParam('filter.limit must be a positive integer');
  return {
    terms: words,
    codes: keyCodes(optionalStringArray(criteria, 'keys')),
    filter,
    includeLeave,
    limit: Math.min(limit, MAX_LIMIT),
    orderBy: optionalEnum(criteria, 'order_by', ['rank', 'recent'] as const) ?? 'rank',
    context: eventContext(optionalObject(criteria, 'event_context')),
    includeState: optionalBoolean(criteria, 'include_state') ?? false,
    groupBy: groupKeys(optionalObject(criteria, 'groupings')),
  };
}

function keyCodes(keys: readonly string[] | undefined): Set<string> {
  const chosen = keys ?? Object.keys(SEARCH_KEYS);
  const codes = new Set<string>();
  for (const key of chosen) {
    if (!(key in SEARCH_KEYS))
      throw invalidParam(`keys: ${key} is not one of ${Object.keys(SEARCH_KEYS).join(', ')}`);
    codes.add(SEARCH_KEYS[key as SearchKey].code);
  }
  return codes;
}

function eventContext(json: JsonRecord | undefined): EventContextRequest | undefined {
  if (json === undefined) return undefined;
  return {
    before: optionalInteger(json, 'before_limit', { min: 0, max: MAX_CONTEXT }) ?? 5,
    after: optionalInteger(json, 'after_limit', { min: 0, max: MAX_CONTEXT }) ?? 5,
    includeProfile: optionalBoolean(json, 'include_profile') ?? false,
  };
}

function groupKeys(json: JsonRecord | undefined): GroupKey[] {
  const groups = json === undefined ? undefined : optionalArray(json, 'group_by');
  const keys: GroupKey[] = [];
  for (const group of groups ?? []) {
    if (!isJsonObject(group)) throw badJson('groupings.group_by holds objects');
    const key = optionalEnum(group, 'key', ['room_id', 'sender'] as const);
    if (key !== undefined && !keys.includes(key)) keys.push(key);
  }
  return keys;
}

/** A next_batch token: `r<offset>` for rank order, `s<stream>` (older than) for recent order. */
export function parseNextBatch(token: string | undefined, orderBy: 'rank' | 'recent'): number | undefined {
  if (token === undefined) return undefined;
  const match = /^([rs])([0-9]{1,15})$/.exec(token);
  if (!match || (match[1] === 'r') !== (orderBy === 'rank'))
    throw invalidParam('next_batch is not a token of this search');
  return Number(match[2]);
}
