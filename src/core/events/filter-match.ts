// Applying filters (spec §10.5 "Filtering"): which events and rooms pass an
// EventFilter / RoomEventFilter / RoomFilter, and `event_fields` projection.
import type { EventFilter, RoomEventFilter } from './filter.ts';

/** The parts of an event a filter looks at. */
export interface FilterableEvent {
  readonly type: string;
  readonly sender?: string;
  readonly room_id?: string;
  readonly content?: unknown;
}

const globCache = new Map<string, RegExp>();

/** Spec: "A '*' can be used as a wildcard to match any sequence of characters" (types lists). */
export function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  let re = globCache.get(pattern);
  if (!re) {
    const body = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${body}$`, 's');
    if (globCache.size > 1000) globCache.clear();
    globCache.set(pattern, re);
  }
  return re.test(value);
}

/** An include list (absent = everything) minus an exclude list (which wins). */
function passes(
  value: string | undefined,
  include: readonly string[] | undefined,
  exclude: readonly string[] | undefined,
  match: (pattern: string, value: string) => boolean,
): boolean {
  if (value === undefined) return include === undefined;
  if (exclude?.some((p) => match(p, value))) return false;
  return include === undefined || include.some((p) => match(p, value));
}

const equal = (a: string, b: string) => a === b;

/** Whether a room passes a `rooms` / `not_rooms` pair (RoomFilter or RoomEventFilter). */
export function roomAllowed(
  filter: { readonly rooms?: readonly string[]; readonly not_rooms?: readonly string[] } | undefined,
  roomId: string,
): boolean {
  return passes(roomId, filter?.rooms, filter?.not_rooms, equal);
}

function hasUrl(content: unknown): boolean {
  return (
    typeof content === 'object' && content !== null && typeof (content as { url?: unknown }).url === 'string'
  );
}

/** Fields of a room event filter that leave every event in (a limit, counts, lazy-loading of state). */
const KEEPING_ALL: ReadonlySet<string> = new Set([
  'limit',
  'unread_thread_notifications',
  'lazy_load_members',
  'include_redundant_members',
]);

/**
 * Whether a filter may leave events out (eventAllowed can be false). Known
 * fields only: a filter with any other field counts as one that may.
 */
export function filtersEvents(filter: EventFilter | RoomEventFilter | undefined): boolean {
  return filter !== undefined && Object.keys(filter).some((key) => !KEEPING_ALL.has(key));
}

/** Whether an event passes every condition of a filter (limit is applied by the caller). */
export function eventAllowed(
  filter: EventFilter | RoomEventFilter | undefined,
  event: FilterableEvent,
): boolean {
  if (!filter) return true;
  if (!passes(event.type, filter.types, filter.not_types, globMatch)) return false;
  if (
    (filter.senders || filter.not_senders) &&
    !passes(event.sender, filter.senders, filter.not_senders, equal)
  ) {
    return false;
  }
  const roomFilter = filter as RoomEventFilter;
  if (event.room_id !== undefined && !roomAllowed(roomFilter, event.room_id)) return false;
  if (roomFilter.contains_url !== undefined && roomFilter.contains_url !== hasUrl(event.content))
    return false;
  return true;
}

/** The first `limit` events passing the filter (`fallbackLimit` when the filter sets none). */
export function applyFilter<T extends FilterableEvent>(
  filter: EventFilter | RoomEventFilter | undefined,
  events: readonly T[],
  fallbackLimit?: number,
): T[] {
  const kept = events.filter((e) => eventAllowed(filter, e));
  const limit = filter?.limit ?? fallbackLimit;
  return limit === undefined || kept.length <= limit ? kept : kept.slice(0, limit);
}

/** Splits an `event_fields` entry on dots, `\.` being a literal dot (spec: "use \\ to escape"). */
function fieldPath(field: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < field.length; i++) {
    const c = field[i]!;
    if (c === '\\' && i + 1 < field.length) current += field[++i];
    else if (c === '.') {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

/**
 * Spec `event_fields`: "List of event fields to include. If this list is
 * absent then all fields are included"; a field that is absent is left out.
 */
export function projectFields(
  event: Record<string, unknown>,
  fields: readonly string[] | undefined,
): unknown {
  if (!fields) return event;
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const path = fieldPath(field);
    const value = valueAt(event, path);
    if (value !== undefined) setAt(out, path, value);
  }
  return out;
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (const key of path) {
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}

function setAt(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let dst = root;
  for (const key of path.slice(0, -1)) {
    const next = dst[key];
    if (typeof next !== 'object' || next === null) dst[key] = {};
    dst = dst[key] as Record<string, unknown>;
  }
  dst[path[path.length - 1]!] = value;
}
