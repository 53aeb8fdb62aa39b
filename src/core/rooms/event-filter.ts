// RoomEventFilter (spec: "Filtering"): which events /messages, /context and
// sync timelines return. `*` in types matches any run of characters.
import { badJson } from '../errors.ts';

export interface EventFilter {
  readonly types?: readonly string[];
  readonly not_types?: readonly string[];
  readonly senders?: readonly string[];
  readonly not_senders?: readonly string[];
  readonly rooms?: readonly string[];
  readonly not_rooms?: readonly string[];
  readonly contains_url?: boolean;
  readonly lazy_load_members?: boolean;
  readonly include_redundant_members?: boolean;
  readonly limit?: number;
}

const LIST_FIELDS = ['types', 'not_types', 'senders', 'not_senders', 'rooms', 'not_rooms'] as const;
const FLAG_FIELDS = ['contains_url', 'lazy_load_members', 'include_redundant_members'] as const;

/** Validates a filter object (already parsed JSON); throws 400 M_BAD_JSON naming the bad field. */
export function parseEventFilter(value: unknown): EventFilter {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badJson('filter must be an object');
  const raw = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of LIST_FIELDS) {
    const list = raw[field];
    if (list === undefined) continue;
    if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) {
      throw badJson(`filter.${field} must be a list of strings`);
    }
    out[field] = list;
  }
  for (const field of FLAG_FIELDS) {
    if (raw[field] === undefined) continue;
    if (typeof raw[field] !== 'boolean') throw badJson(`filter.${field} must be a boolean`);
    out[field] = raw[field];
  }
  if (raw.limit !== undefined) {
    if (!Number.isSafeInteger(raw.limit) || (raw.limit as number) < 1)
      throw badJson('filter.limit must be a positive integer');
    out.limit = raw.limit;
  }
  return out as EventFilter;
}

function globMatches(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`, 's').test(value);
}

/** The parts of an event a filter looks at. */
export interface FilterableEvent {
  readonly type: string;
  readonly sender: string;
  readonly room_id: string;
  readonly content: Readonly<Record<string, unknown>>;
}

export function eventMatchesFilter(event: FilterableEvent, filter: EventFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.not_types?.some((t) => globMatches(t, event.type))) return false;
  if (filter.types && !filter.types.some((t) => globMatches(t, event.type))) return false;
  if (filter.not_senders?.includes(event.sender)) return false;
  if (filter.senders && !filter.senders.includes(event.sender)) return false;
  if (filter.not_rooms?.includes(event.room_id)) return false;
  if (filter.rooms && !filter.rooms.includes(event.room_id)) return false;
  if (filter.contains_url !== undefined) {
    const hasUrl = typeof event.content.url === 'string';
    if (hasUrl !== filter.contains_url) return false;
  }
  return true;
}
