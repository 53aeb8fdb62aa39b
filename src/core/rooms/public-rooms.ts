// GET and POST /_matrix/client/v3/publicRooms: the rooms published in this
// server's directory, most joined members first, paged by offset tokens.
// With federation on (deps.remoteDirectory), `server=<other>` asks that
// server and no `server` lists the whole network's directory.
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
import { directoryTable, roomTableNames } from './tables.ts';

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

/** The response body of publicRooms (client and federation API alike). */
export interface PublicRoomsPage<Chunk extends PublicRoomsChunk = PublicRoomsChunk> {
  chunk: Chunk[];
  total_room_count_estimate: number;
  next_batch?: string;
  prev_batch?: string;
}

export interface PublicRoomsQuery {
  readonly limit?: number;
  readonly since?: string;
  readonly server?: string;
  readonly searchTerm?: string;
  /** Room types to include; null stands for rooms without a type. */
  readonly roomTypes?: readonly (string | null)[];
}

/** GET /_matrix/client/v3/publicRooms?limit=&since=&server= */
export function publicRoomsGet(ctx: RequestContext, rooms: RoomsContext): Promise<PublicRoomsPage> {
  return servePublicRooms(rooms, {
    limit: queryInteger(ctx.req, 'limit', { min: 0 }),
    since: queryParam(ctx.req, 'since'),
    server: queryParam(ctx.req, 'server'),
  });
}

/** POST /_matrix/client/v3/publicRooms {limit, since, server, filter: {generic_search_term, room_types}} */
export function publicRoomsPost(ctx: RequestContext, rooms: RoomsContext): Promise<PublicRoomsPage> {
  const body = jsonObjectBody(ctx.req);
  return servePublicRooms(rooms, {
    ...publicRoomsQueryFromBody(body),
    server: queryParam(ctx.req, 'server') ?? optionalString(body, 'server'),
  });
}

/** The query of a POST publicRooms body (client and federation API share its shape). */
export function publicRoomsQueryFromBody(body: JsonRecord): PublicRoomsQuery {
  const filter = optionalObject(body, 'filter') ?? {};
  return {
    limit: optionalInteger(body, 'limit', { min: 0 }),
    since: optionalString(body, 'since'),
    searchTerm: optionalString(filter, 'generic_search_term'),
    roomTypes: roomTypesOf(filter),
  };
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
 * 1. Another server's directory is asked over federation (404 without it).
 * 2. This server's published rooms, filtered and sorted.
 * 3. Without `server` and with federation on, merged with every reachable
 *    peer's directory; else sliced at the `since` offset.
 */
async function servePublicRooms(rooms: RoomsContext, query: PublicRoomsQuery): Promise<PublicRoomsPage> {
  const { remoteDirectory, serverName, store } = rooms.deps;
  // 1.
  if (query.server !== undefined && query.server !== serverName) {
    if (!remoteDirectory) throw notFound(`The room directory of ${query.server} is not reachable from here`);
    return remoteDirectory.serverPublicRooms(query.server, query);
  }
  const offset = parsePublicRoomsSince(query.since);
  // 2.
  const local = await store.read(roomTableNames, (tx) => localPublicRooms(tx, query));
  // 3.
  if (query.server === undefined && remoteDirectory) return remoteDirectory.networkPublicRooms(query, local);
  return pagePublicRooms(local, offset, query.limit);
}

/** This server's published rooms that match the query's filter, most joined members first. */
export async function localPublicRooms(tx: ReadTx, query: PublicRoomsQuery): Promise<PublicRoomsChunk[]> {
  const entries: PublicRoomsChunk[] = [];
  for (const { room_id: roomId } of await directoryTable.query(tx)) {
    const entry = await directoryEntry(tx, roomId);
    if (publicRoomMatches(entry, query)) entries.push(entry);
  }
  return sortPublicRooms(entries);
}

/** Most joined members first, then by room id, so pages are stable. */
export function sortPublicRooms<Chunk extends PublicRoomsChunk>(entries: Chunk[]): Chunk[] {
  return entries.sort(
    (a, b) => b.num_joined_members - a.num_joined_members || (a.room_id < b.room_id ? -1 : 1),
  );
}

/** One page of sorted entries from `offset` (limit undefined or 0: all), with `p<N>` tokens. */
export function pagePublicRooms<Chunk extends PublicRoomsChunk>(
  entries: readonly Chunk[],
  offset: number,
  limit?: number,
): PublicRoomsPage<Chunk> {
  const size = limit === undefined || limit === 0 ? entries.length : limit;
  const page: PublicRoomsPage<Chunk> = {
    chunk: entries.slice(offset, offset + size),
    total_room_count_estimate: entries.length,
  };
  if (offset + size < entries.length) page.next_batch = `p${offset + size}`;
  if (offset > 0) page.prev_batch = `p${Math.max(0, offset - size)}`;
  return page;
}

/** The offset a `since` token stands for (0 when absent); 400 M_INVALID_PARAM for a foreign token. */
export function parsePublicRoomsSince(since: string | undefined): number {
  if (since === undefined || since === '') return 0;
  const match = /^p(\d{1,9})$/.exec(since);
  if (!match) throw invalidParam('since is not a valid publicRooms token');
  return Number(match[1]);
}

/** Whether an entry passes the query's room type and search term filters. */
export function publicRoomMatches(entry: PublicRoomsChunk, query: PublicRoomsQuery): boolean {
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
