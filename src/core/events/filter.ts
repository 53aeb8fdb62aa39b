// The filter definitions of the Client-Server API ("Filtering", spec §10.5):
// their shapes and a validating parser. Sync takes a filter by id (stored by
// the accounts module) or inline as JSON; both go through parseFilter. The
// rooms module's history endpoints take a RoomEventFilter (parseRoomEventFilter).
import { badJson } from '../errors.ts';

/** Spec `EventFilter`: presence and global account data. */
export interface EventFilter {
  readonly limit?: number;
  readonly types?: readonly string[];
  readonly not_types?: readonly string[];
  readonly senders?: readonly string[];
  readonly not_senders?: readonly string[];
}

/** Spec `RoomEventFilter` (and `StateFilter`, which has the same fields). */
export interface RoomEventFilter extends EventFilter {
  readonly rooms?: readonly string[];
  readonly not_rooms?: readonly string[];
  readonly contains_url?: boolean;
  readonly lazy_load_members?: boolean;
  readonly include_redundant_members?: boolean;
  readonly unread_thread_notifications?: boolean;
}

/** Spec `RoomFilter`. */
export interface RoomFilter {
  readonly rooms?: readonly string[];
  readonly not_rooms?: readonly string[];
  readonly include_leave?: boolean;
  readonly timeline?: RoomEventFilter;
  readonly state?: RoomEventFilter;
  readonly ephemeral?: RoomEventFilter;
  readonly account_data?: RoomEventFilter;
}

/** Spec `Filter`, the body of `POST /user/{userId}/filter` and the sync `filter` parameter. */
export interface FilterDefinition {
  readonly event_fields?: readonly string[];
  readonly event_format?: 'client' | 'federation';
  readonly presence?: EventFilter;
  readonly account_data?: EventFilter;
  readonly room?: RoomFilter;
}

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringList(o: Obj, key: string, where: string): readonly string[] | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) {
    throw badJson(`${where}.${key} must be an array of strings`);
  }
  return v;
}

function flag(o: Obj, key: string, where: string): boolean | undefined {
  const v = o[key];
  if (v !== undefined && typeof v !== 'boolean') throw badJson(`${where}.${key} must be a boolean`);
  return v;
}

function section(o: Obj, key: string, where: string): Obj | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (!isObject(v)) throw badJson(`${where}.${key} must be an object`);
  return v;
}

/** Omits undefined fields so parsed filters compare and serialise cleanly. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function parseEventFilter(o: Obj, where: string): EventFilter {
  const limit = o.limit;
  if (limit !== undefined && !(Number.isSafeInteger(limit) && (limit as number) > 0)) {
    throw badJson(`${where}.limit must be a positive integer`);
  }
  return defined({
    limit: limit as number | undefined,
    types: stringList(o, 'types', where),
    not_types: stringList(o, 'not_types', where),
    senders: stringList(o, 'senders', where),
    not_senders: stringList(o, 'not_senders', where),
  });
}

function roomEventFilter(o: Obj, where: string): RoomEventFilter {
  return defined({
    ...parseEventFilter(o, where),
    rooms: stringList(o, 'rooms', where),
    not_rooms: stringList(o, 'not_rooms', where),
    contains_url: flag(o, 'contains_url', where),
    lazy_load_members: flag(o, 'lazy_load_members', where),
    include_redundant_members: flag(o, 'include_redundant_members', where),
    unread_thread_notifications: flag(o, 'unread_thread_notifications', where),
  });
}

function optional<T>(o: Obj, key: string, where: string, parse: (o: Obj, where: string) => T): T | undefined {
  const s = section(o, key, where);
  return s === undefined ? undefined : parse(s, `${where}.${key}`);
}

function parseRoomFilter(o: Obj, where: string): RoomFilter {
  return defined({
    rooms: stringList(o, 'rooms', where),
    not_rooms: stringList(o, 'not_rooms', where),
    include_leave: flag(o, 'include_leave', where),
    timeline: optional(o, 'timeline', where, roomEventFilter),
    state: optional(o, 'state', where, roomEventFilter),
    ephemeral: optional(o, 'ephemeral', where, roomEventFilter),
    account_data: optional(o, 'account_data', where, roomEventFilter),
  });
}

/** Validates a filter definition (unknown fields are ignored, as the spec's JSON objects allow). */
export function parseFilter(json: unknown): FilterDefinition {
  if (!isObject(json)) throw badJson('filter must be a JSON object');
  const format = json.event_format;
  if (format !== undefined && format !== 'client' && format !== 'federation') {
    throw badJson("filter.event_format must be 'client' or 'federation'");
  }
  return defined({
    event_fields: stringList(json, 'event_fields', 'filter'),
    event_format: format,
    presence: optional(json, 'presence', 'filter', parseEventFilter),
    account_data: optional(json, 'account_data', 'filter', parseEventFilter),
    room: optional(json, 'room', 'filter', parseRoomFilter),
  });
}

/** Validates a RoomEventFilter on its own (the `filter` parameter of /messages and /context). */
export function parseRoomEventFilter(json: unknown): RoomEventFilter {
  if (!isObject(json)) throw badJson('filter must be a JSON object');
  return roomEventFilter(json, 'filter');
}
