// Matrix identifiers (spec: appendices, "Identifier Grammar"): `@user:server`,
// `!room:server` (and, from room version 12, `!` + the create event's hash),
// event ids, and server names.

import type { EventIdFormat } from './room-version.ts';
import { utf8ByteLength } from './utf8.ts';

/** Users, rooms and event ids may not exceed 255 bytes of UTF-8, sigil and domain included. */
export const MAX_ID_BYTES = 255;

/**
 * Server name grammar: hostname (IPv4, [IPv6] or DNS name of up to 255
 * characters) and an optional port. Hex P2P names are 64-character DNS names.
 */
const SERVER_NAME = /^(?:\[[0-9A-Fa-f:.]{2,45}\]|[0-9A-Za-z.-]{1,255})(?::[0-9]{1,5})?$/;

export function isServerName(name: string): boolean {
  return SERVER_NAME.test(name);
}

/** The server part of `&localpart:server` (everything after the first colon), or undefined. */
export function serverNameOf(id: string): string | undefined {
  const colon = id.indexOf(':');
  return colon < 0 ? undefined : id.slice(colon + 1);
}

/**
 * Why `id` is not a valid `sigil localpart : server` identifier, or undefined
 * when it is. Localparts are checked only for what every historical grammar
 * forbids (NUL), because old user ids with other characters must be accepted.
 */
export function sigilIdProblem(id: string, sigil: '@' | '!' | '#'): string | undefined {
  if (!id.startsWith(sigil)) return `does not start with ${sigil}`;
  if (utf8ByteLength(id) > MAX_ID_BYTES) return `is longer than ${MAX_ID_BYTES} bytes`;
  const server = serverNameOf(id);
  if (server === undefined) return 'has no :server part';
  if (!isServerName(server)) return `has an invalid server name ${JSON.stringify(server)}`;
  if (id.slice(1, id.length - server.length - 1).includes('\u0000')) return 'contains NUL';
  return undefined;
}

const EVENT_ID_PATTERNS: Record<Exclude<EventIdFormat, 'v1'>, RegExp> = {
  v3: /^\$[A-Za-z0-9+/]{43}$/,
  v4: /^\$[A-Za-z0-9_-]{43}$/,
};

/** Why `id` is not an event id of the given format, or undefined when it is. */
export function eventIdProblem(id: string, format: EventIdFormat): string | undefined {
  if (!id.startsWith('$')) return 'does not start with $';
  if (utf8ByteLength(id) > MAX_ID_BYTES) return `is longer than ${MAX_ID_BYTES} bytes`;
  if (format === 'v1') return serverNameOf(id) === undefined ? 'has no :server part' : undefined;
  // From v3 on an event id is the unpadded base64 of a SHA-256 hash: 43 characters.
  if (EVENT_ID_PATTERNS[format].test(id)) return undefined;
  return `is not $ and 43 characters of ${format === 'v3' ? 'standard' : 'url-safe'} unpadded base64`;
}

/** A room id of room version 12 on: `!` and the create event's url-safe unpadded base64 reference hash. */
const HASH_ROOM_ID = /^![A-Za-z0-9_-]{43}$/;

/** Whether `id` has the domain-less form of room version 12 on (spec: appendices "Room IDs"). */
export function isHashRoomId(id: string): boolean {
  return HASH_ROOM_ID.test(id);
}

/** The id of the room whose create event is `createEventId` (v12+: the sigil `!` for `$`). */
export function roomIdOfCreateEvent(createEventId: string): string {
  return `!${createEventId.slice(1)}`;
}

/** The id of the create event a v12+ room id names (the sigil `$` for `!`). */
export function createEventIdOfRoom(roomId: string): string {
  return `$${roomId.slice(1)}`;
}
