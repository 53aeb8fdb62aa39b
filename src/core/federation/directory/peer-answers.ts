// Reading what peers answer to directory queries. Every byte from a peer is
// untrusted: entries with a malformed room id are dropped, fields of the wrong
// type or absurd size are left out, unknown fields never reach our clients,
// and every list is capped, so one peer cannot flood a client's room list.
import { isProfileKey, isValidRoomId, MAX_PROFILE_BYTES } from '../../http/matrix-ids.ts';
import { utf8ByteLength } from '../../protocol/utf8.ts';
import { canonicalJson } from '../../protocol/canonical-json.ts';
import type { JsonObject, JsonValue } from '../../protocol/types.ts';
import type { PublicRoomsChunk, PublicRoomsPage } from '../../rooms/api.ts';
import { isServerName } from '../server-name.ts';
import { MAX_PROOF_BYTES, PROOF } from './room-proof.ts';

/** At most this many rooms are read from one peer's answer. */
export const MAX_ROOMS_PER_PEER = 500;
/**
 * Largest publicRooms answer read from one peer (the transport refuses a
 * larger one before reading it). One listing asks up to 100 peers at once,
 * so this bounds what a listing holds at about 25 MiB; our own answers page
 * within it (federation-routes.ts), so an honest peer's always fits.
 */
export const MAX_LISTING_ANSWER_BYTES = 256 * 1024;
/**
 * Largest query/directory or query/profile answer read: twice the 64 KiB a
 * whole profile may hold (spec: "Profiles"), so an answer with one field too
 * many still gives its valid fields (readProfileAnswer drops the rest).
 */
export const MAX_QUERY_ANSWER_BYTES = 128 * 1024;
/** Longest string field kept (a topic may be long; a room list entry need not show more). */
const MAX_FIELD_LENGTH = 1000;
const MAX_TOKEN_LENGTH = 256;
const MAX_SERVERS = 20;

const OPTIONAL_FIELDS = ['join_rule', 'name', 'topic', 'canonical_alias', 'avatar_url', 'room_type'] as const;

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shortString(value: JsonValue | undefined, max = MAX_FIELD_LENGTH): string | undefined {
  return typeof value === 'string' && value.length <= max ? value : undefined;
}

/** One directory entry as we pass it on, or undefined when it is unusable. */
export function readPublicRoom(value: JsonValue | undefined): PublicRoomsChunk | undefined {
  if (!isObject(value)) return undefined;
  const roomId = shortString(value.room_id, 255);
  if (roomId === undefined || !isValidRoomId(roomId)) return undefined;
  const members = value.num_joined_members;
  const entry: PublicRoomsChunk = {
    room_id: roomId,
    num_joined_members:
      typeof members === 'number' && Number.isSafeInteger(members) && members >= 0 ? members : 0,
    world_readable: value.world_readable === true,
    guest_can_join: value.guest_can_join === true,
  };
  for (const key of OPTIONAL_FIELDS) {
    const field = shortString(value[key]);
    if (field !== undefined) entry[key] = field;
  }
  return entry;
}

/** A peer's publicRooms response body as a page; undefined when it is not one. */
export function readPublicRoomsPage(body: JsonValue | Uint8Array | undefined): PublicRoomsPage | undefined {
  if (body instanceof Uint8Array || !isObject(body) || !Array.isArray(body.chunk)) return undefined;
  const chunk = body.chunk
    .slice(0, MAX_ROOMS_PER_PEER)
    .map(readPublicRoom)
    .filter((entry) => entry !== undefined);
  const estimate = body.total_room_count_estimate;
  const page: PublicRoomsPage = {
    chunk,
    total_room_count_estimate:
      typeof estimate === 'number' && Number.isSafeInteger(estimate) && estimate >= chunk.length
        ? estimate
        : chunk.length,
  };
  const next = shortString(body.next_batch, MAX_TOKEN_LENGTH);
  const prev = shortString(body.prev_batch, MAX_TOKEN_LENGTH);
  if (next !== undefined) page.next_batch = next;
  if (prev !== undefined) page.prev_batch = prev;
  return page;
}

/**
 * The proofs (room-proof.ts) a peer's publicRooms answer carries, by room id:
 * objects of at most MAX_PROOF_BYTES of canonical JSON, from the entries read.
 */
export function readProofs(body: JsonValue | Uint8Array | undefined): Map<string, JsonObject> {
  const proofs = new Map<string, JsonObject>();
  if (body instanceof Uint8Array || !isObject(body) || !Array.isArray(body.chunk)) return proofs;
  for (const value of body.chunk.slice(0, MAX_ROOMS_PER_PEER)) {
    if (!isObject(value) || typeof value.room_id !== 'string') continue;
    const proof = value[PROOF];
    if (!isObject(proof)) continue;
    try {
      if (canonicalJson(proof).length <= MAX_PROOF_BYTES) proofs.set(value.room_id, proof);
    } catch {
      // not canonical JSON (a float, a number out of range): no proof
    }
  }
  return proofs;
}

/** A query/directory answer: the room and up to MAX_SERVERS valid server names. */
export function readAliasAnswer(
  body: JsonValue | Uint8Array | undefined,
): { roomId: string; servers: string[] } | undefined {
  if (body instanceof Uint8Array || !isObject(body)) return undefined;
  const roomId = shortString(body.room_id, 255);
  if (roomId === undefined || !isValidRoomId(roomId)) return undefined;
  const listed = Array.isArray(body.servers) ? body.servers : [];
  const servers = listed.filter((s): s is string => typeof s === 'string' && isServerName(s));
  return { roomId, servers: [...new Set(servers)].slice(0, MAX_SERVERS) };
}

/** Another server's user's profile as we pass it on: the standard fields and custom ones (spec v1.16). */
export interface RemoteProfile {
  readonly displayname?: string;
  readonly avatar_url?: string;
  readonly [key: string]: JsonValue | undefined;
}

/**
 * A query/profile answer: displayname and avatar_url as strings of reasonable
 * length, custom fields under a valid key name (any JSON value, as the spec
 * allows; `m.tz` too, which requesters must tolerate whatever it holds) while
 * the whole stays under the spec's 64 KiB; with `field`, that field only
 * (a server that says more than it was asked is not passed on).
 */
export function readProfileAnswer(
  body: JsonValue | Uint8Array | undefined,
  field?: string,
): RemoteProfile | undefined {
  if (body instanceof Uint8Array || !isObject(body)) return undefined;
  const profile: Record<string, JsonValue> = {};
  const displayname = shortString(body.displayname, 256);
  const avatarUrl = shortString(body.avatar_url);
  if (displayname !== undefined) profile.displayname = displayname;
  if (avatarUrl !== undefined) profile.avatar_url = avatarUrl;
  let bytes = utf8ByteLength(JSON.stringify(profile));
  for (const [key, value] of Object.entries(body)) {
    if (key === 'displayname' || key === 'avatar_url' || !isProfileKey(key) || value === null) continue;
    if (field !== undefined && key !== field) continue;
    // key, value, quotes, colon and comma
    const size = key.length + utf8ByteLength(JSON.stringify(value)) + 4;
    if (bytes + size >= MAX_PROFILE_BYTES) continue;
    bytes += size;
    profile[key] = value;
  }
  if (field === undefined) return profile;
  return profile[field] === undefined ? {} : { [field]: profile[field] };
}
