// GET and POST /_matrix/client/v3/publicRooms: the rooms published in this
// server's directory, most joined members first, paged by offset tokens.
import { invalidParam, notFound } from '../errors.ts';
import {
  type JsonRecord,
  jsonObjectBody,
  optionalInteger,
  optionalObject,
  optionalString,
} from '../http/json-body.ts';
import { queryInteger, queryParam } from '../http/query.ts';
import type { RequestContext } from '../http/route.ts';
import type { ReadTx } from '../storage/port.ts';
import { countMembers } from './members-read.ts';
import type { RoomsContext } from './rooms-context.ts';
import { currentStateEvent } from './state-read.ts';
import { DIRECTORY, type DirectoryRow } from './tables.ts';

export interface PublicRoomsChunk {
  room_id: string;
  num_joined_members: number;
  world_readable: boolean;
  guest_can_join: boolean;
  join_rule?: string;
  name?: string;
  topic?: string;
  canonical_alias?: string;
  avatar_url?: string;
  room_type?: string;
}

interface PublicRoomsQuery {
  readonly limit?: number;
  readonly since?: string;
  readonly server?: string;
  readonly searchTerm?: string;
  /** Room types to include; null stands for rooms without a type. */
  readonly roomTypes?: readonly (string | null)[];
}

/** GET /_matrix/client/v3/publicRooms?limit=&since=&server= */
export function publicRoomsGet(tx: ReadTx, ctx: RequestContext, rooms: RoomsContext): Promise<unknown> {
  return publicRooms(tx, rooms, {
    limit: queryInteger(ctx.req, 'limit', { min: 0 }),
    since: queryParam(ctx.req, 'since'),
    server: queryParam(ctx.req, 'server'),
  });
}

/** POST /_matrix/client/v3/publicRooms {limit, since, server, filter: {generic_search_term, room_types}} */
export function publicRoomsPost(tx: ReadTx, ctx: RequestContext, rooms: RoomsContext): Promise<unknown> {
  const body = jsonObjectBody(ctx.req);
  const filter = optionalObject(body, 'filter') ?? {};
  return publicRooms(tx, rooms, {
    limit: optionalInteger(body, 'limit', { min: 0 }),
    since: optionalString(body, 'since'),
    server: queryParam(ctx.req, 'server') ?? optionalString(body, 'server'),
    searchTerm: optionalString(filter, 'generic_search_term'),
    roomTypes: roomTypesOf(filter),
  });
}

function roomTypesOf(filter: JsonRecord): (string | null)[] | undefined {
  const types = filter.room_types;
  if (types === undefined) return undefined;
  if (!Array.isArray(types) || !types.every((t) => t === null || typeof t === 'string')) {
    throw invalidParam('filter.room_types must be a list of strings or null');
  }
  return types as (string | null)[];
}

/**
 * 1. Only this server's directory (other servers need federation: 404).
 * 2. Every published room as an entry, filtered by search term and room type.
 * 3. Sorted by joined members (then room id), sliced at the `since` offset.
 */
async function publicRooms(tx: ReadTx, rooms: RoomsContext, query: PublicRoomsQuery): Promise<unknown> {
  // 1.
  if (query.server !== undefined && query.server !== rooms.deps.serverName) {
    throw notFound(`The room directory of ${query.server} is not reachable from here`);
  }
  const offset = parseSince(query.since);
  // 2.
  const entries: PublicRoomsChunk[] = [];
  for (const { room_id: roomId } of await tx.query<DirectoryRow>(DIRECTORY)) {
    const entry = await directoryEntry(tx, roomId);
    if (matches(entry, query)) entries.push(entry);
  }
  // 3.
  entries.sort((a, b) => b.num_joined_members - a.num_joined_members || (a.room_id < b.room_id ? -1 : 1));
  const limit = query.limit === undefined || query.limit === 0 ? entries.length : query.limit;
  const chunk = entries.slice(offset, offset + limit);
  const body: {
    chunk: PublicRoomsChunk[];
    total_room_count_estimate: number;
    next_batch?: string;
    prev_batch?: string;
  } = { chunk, total_room_count_estimate: entries.length };
  if (offset + limit < entries.length) body.next_batch = `p${offset + limit}`;
  if (offset > 0) body.prev_batch = `p${Math.max(0, offset - limit)}`;
  return body;
}

function parseSince(since: string | undefined): number {
  if (since === undefined || since === '') return 0;
  const match = /^p(\d{1,9})$/.exec(since);
  if (!match) throw invalidParam('since is not a valid publicRooms token');
  return Number(match[1]);
}

function matches(entry: PublicRoomsChunk, query: PublicRoomsQuery): boolean {
  if (query.roomTypes && !query.roomTypes.includes(entry.room_type ?? null)) return false;
  const term = query.searchTerm?.toLowerCase();
  if (!term) return true;
  return [entry.name, entry.topic, entry.canonical_alias, entry.room_id].some((s) =>
    s?.toLowerCase().includes(term),
  );
}

async function stateString(
  tx: ReadTx,
  roomId: string,
  type: string,
  field: string,
): Promise<string | undefined> {
  const value = (await currentStateEvent(tx, roomId, type))?.pdu.content[field];
  return typeof value === 'string' ? value : undefined;
}

/** One room's directory entry, from its current state. */
export async function directoryEntry(tx: ReadTx, roomId: string): Promise<PublicRoomsChunk> {
  const entry: PublicRoomsChunk = {
    room_id: roomId,
    num_joined_members: await countMembers(tx, roomId, 'join'),
    world_readable:
      (await stateString(tx, roomId, 'm.room.history_visibility', 'history_visibility')) === 'world_readable',
    guest_can_join: (await stateString(tx, roomId, 'm.room.guest_access', 'guest_access')) === 'can_join',
  };
  const optional: [keyof PublicRoomsChunk, string, string][] = [
    ['join_rule', 'm.room.join_rules', 'join_rule'],
    ['name', 'm.room.name', 'name'],
    ['topic', 'm.room.topic', 'topic'],
    ['canonical_alias', 'm.room.canonical_alias', 'alias'],
    ['avatar_url', 'm.room.avatar', 'url'],
    ['room_type', 'm.room.create', 'type'],
  ];
  for (const [key, type, field] of optional) {
    const value = await stateString(tx, roomId, type, field);
    if (value !== undefined) (entry as unknown as Record<string, unknown>)[key] = value;
  }
  return entry;
}
