// The directory's Server-Server endpoints (spec: server-server API "Public
// Room Directory" and "Querying for information"): what other servers may ask
// about our published rooms, our aliases and our users' profiles.
import { badJson, invalidParam, missingParam, notFound } from '../../errors.ts';
import { isProfileKey, isValidRoomAlias, isValidUserId, parseId } from '../../http/matrix-ids.ts';
import type { JsonObject } from '../../protocol/types.ts';
import * as rooms from '../../rooms/api.ts';
import type { Store } from '../../storage/port.ts';
import { type FederationRoute, type FederationRouteContext, ok } from '../route-registry.ts';
import { MAX_LISTING_ANSWER_BYTES } from './peer-answers.ts';
import { PROOF, roomProof } from './room-proof.ts';

const V1 = '/_matrix/federation/v1';
/** At most this many servers are named for an alias: enough to join through, small on the wire. */
const MAX_ALIAS_SERVERS = 20;

/** A local user's whole profile: displayname, avatar_url and custom fields (spec v1.16). */
export type LocalProfile = Readonly<JsonObject>;

export interface DirectoryRoutesDeps {
  readonly store: Store;
  readonly serverName: string;
  /** A local user's profile; undefined when there is no such user. */
  readonly profileOf: (userId: string) => Promise<LocalProfile | undefined>;
}

export function directoryFederationRoutes(deps: DirectoryRoutesDeps): FederationRoute[] {
  return [
    { method: 'GET', path: `${V1}/publicRooms`, handler: (ctx) => publicRooms(deps, queryOfGet(ctx)) },
    { method: 'POST', path: `${V1}/publicRooms`, handler: (ctx) => publicRooms(deps, queryOfPost(ctx)) },
    { method: 'GET', path: `${V1}/query/directory`, handler: (ctx) => queryDirectory(deps, ctx) },
    { method: 'GET', path: `${V1}/query/profile`, handler: (ctx) => queryProfile(deps, ctx) },
  ];
}

/** The first value of a query parameter. */
function param(ctx: FederationRouteContext, name: string): string | undefined {
  const value = ctx.req.query?.[name];
  return typeof value === 'string' ? value : value?.[0];
}

function jsonBody(ctx: FederationRouteContext): JsonObject {
  const body = ctx.req.body;
  if (body === undefined || body instanceof Uint8Array) throw badJson('Content must be a JSON object');
  return body;
}

/** GET /_matrix/federation/v1/publicRooms?limit=&since= (include_all_networks: we have one network). */
function queryOfGet(ctx: FederationRouteContext): rooms.PublicRoomsQuery {
  const raw = param(ctx, 'limit');
  if (raw !== undefined && !/^\d{1,9}$/.test(raw)) throw invalidParam('limit must be a non-negative integer');
  return { limit: raw === undefined ? undefined : Number(raw), since: param(ctx, 'since') };
}

/** POST /_matrix/federation/v1/publicRooms {limit, since, filter: {generic_search_term, room_types}} */
function queryOfPost(ctx: FederationRouteContext): rooms.PublicRoomsQuery {
  return rooms.publicRoomsQueryFromBody(jsonBody(ctx));
}

/** Room for the page's own fields (tokens, estimate) beside its entries. */
const PAGE_ENVELOPE_BYTES = 1024;

/**
 * Both publicRooms endpoints: our published rooms, paged as for our own
 * clients, each with the proof of who created it and of its canonical alias
 * (room-proof.ts), which askers check before believing the entry. A page
 * ends early where it would pass the bytes askers read of one answer
 * (MAX_LISTING_ANSWER_BYTES), its next_batch continuing from there.
 */
async function publicRooms(deps: DirectoryRoutesDeps, query: rooms.PublicRoomsQuery) {
  const offset = rooms.parsePublicRoomsSince(query.since);
  const page = await deps.store.read(rooms.roomTableNames, async (tx) => {
    const entries = await rooms.localPublicRooms(tx, query);
    const paged = rooms.pagePublicRooms(entries, offset, query.limit);
    const chunk: JsonObject[] = [];
    let bytes = PAGE_ENVELOPE_BYTES;
    for (const entry of paged.chunk) {
      const proof = await roomProof(tx, entry.room_id);
      const item: JsonObject = { ...(entry as unknown as JsonObject), ...(proof && { [PROOF]: proof }) };
      bytes += utf8Length(JSON.stringify(item)) + 1;
      if (bytes > MAX_LISTING_ANSWER_BYTES && chunk.length > 0) {
        return { ...paged, chunk, next_batch: `p${offset + chunk.length}` };
      }
      chunk.push(item);
    }
    return { ...paged, chunk };
  });
  return ok(page as unknown as JsonObject);
}

const encoder = new TextEncoder();
const utf8Length = (text: string) => encoder.encode(text).length;

/**
 * GET /_matrix/federation/v1/query/directory?room_alias=: one of our aliases
 * → the room and the servers joined to it now (ours first), to join through.
 */
async function queryDirectory(deps: DirectoryRoutesDeps, ctx: FederationRouteContext) {
  const alias = param(ctx, 'room_alias');
  if (alias === undefined) throw missingParam('Missing query parameter room_alias');
  if (!isValidRoomAlias(alias)) throw invalidParam('room_alias is not a valid room alias');
  if (parseId(alias).serverName !== deps.serverName)
    throw notFound(`${alias} is not an alias of this server`);
  const found = await deps.store.read(rooms.roomTableNames, async (tx) => {
    const roomId = await rooms.roomIdForAlias(tx, alias);
    return roomId === undefined ? undefined : { roomId, members: await rooms.joinedMembers(tx, roomId) };
  });
  if (!found) throw notFound(`Room alias ${alias} not found`);
  const servers = new Set([deps.serverName, ...found.members.map((userId) => parseId(userId).serverName)]);
  return ok({ room_id: found.roomId, servers: [...servers].slice(0, MAX_ALIAS_SERVERS) });
}

/**
 * GET /_matrix/federation/v1/query/profile?user_id=&field=: one of our users'
 * whole profile, or only `field` (spec v1.16: displayname, avatar_url, m.tz or
 * any custom field; a field not set is left out).
 */
async function queryProfile(deps: DirectoryRoutesDeps, ctx: FederationRouteContext) {
  const userId = param(ctx, 'user_id');
  if (userId === undefined) throw missingParam('Missing query parameter user_id');
  if (!isValidUserId(userId)) throw invalidParam('user_id is not a valid user id');
  const field = param(ctx, 'field');
  if (field !== undefined && !isProfileKey(field)) throw invalidParam('field is not a profile field name');
  const profile = parseId(userId).serverName === deps.serverName ? await deps.profileOf(userId) : undefined;
  if (!profile) throw notFound('Profile not found');
  if (field === undefined) return ok({ ...profile });
  const value = profile[field];
  return ok(value === undefined ? {} : { [field]: value });
}
