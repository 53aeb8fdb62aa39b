// Validating identifiers that arrive in paths and bodies (spec: appendices,
// "Identifier Grammar"). New user ids use the strict localpart grammar; ids of
// existing users are accepted with the historical grammar, as the spec asks.
// Failures are 400 M_INVALID_PARAM unless the endpoint defines another code.
import { invalidParam } from '../errors.ts';
import { isHashRoomId, sigilIdProblem } from '../protocol/identifiers.ts';

/** The localpart grammar for new users: a-z, 0-9, `.`, `_`, `=`, `-`, `/` and `+` (spec v1.8+). */
const LOCALPART = /^[a-z0-9._=\-/+]+$/;
/** Historical user id localparts: any printable ASCII but `:` (%x21-39 / %x3B-7E). */
const HISTORICAL_LOCALPART = /^[\x21-\x39\x3b-\x7e]+$/;

export function isValidLocalpart(localpart: string): boolean {
  return LOCALPART.test(localpart);
}

export interface ParsedId {
  readonly localpart: string;
  readonly serverName: string;
}

/** Splits `@localpart:server` (or `!`/`#` ids) at the first colon; no colon gives serverName ''. */
export function parseId(id: string): ParsedId {
  const colon = id.indexOf(':');
  if (colon < 0) return { localpart: id.slice(1), serverName: '' };
  return { localpart: id.slice(1, colon), serverName: id.slice(colon + 1) };
}

/** Why `id` is not a valid user id (historical localparts allowed), or undefined. */
export function userIdProblem(id: string): string | undefined {
  const problem = sigilIdProblem(id, '@');
  if (problem) return problem;
  const { localpart } = parseId(id);
  if (!HISTORICAL_LOCALPART.test(localpart)) return 'has an invalid localpart';
  return undefined;
}

/** Why `id` is not a valid room id, or undefined. */
export function roomIdProblem(id: string): string | undefined {
  // Room version 12 on: no server, the create event's hash (spec v1.16, appendices "Room IDs").
  if (isHashRoomId(id)) return undefined;
  const problem = sigilIdProblem(id, '!');
  if (problem) return problem;
  return parseId(id).localpart === '' ? 'has an empty opaque id' : undefined;
}

/** Why `alias` is not a valid room alias, or undefined. */
export function roomAliasProblem(alias: string): string | undefined {
  const problem = sigilIdProblem(alias, '#');
  if (problem) return problem;
  return parseId(alias).localpart === '' ? 'has an empty localpart' : undefined;
}

export const isValidUserId = (id: string): boolean => userIdProblem(id) === undefined;
export const isValidRoomId = (id: string): boolean => roomIdProblem(id) === undefined;
export const isValidRoomAlias = (alias: string): boolean => roomAliasProblem(alias) === undefined;

function check(value: string, what: string, problem: string | undefined): string {
  if (problem) throw invalidParam(`${JSON.stringify(value)} is not a valid ${what}: it ${problem}`);
  return value;
}

/** The user id, or 400 M_INVALID_PARAM. */
export function requireUserId(id: string): string {
  return check(id, 'user ID', userIdProblem(id));
}

/** The room id, or 400 M_INVALID_PARAM. */
export function requireRoomId(id: string): string {
  return check(id, 'room ID', roomIdProblem(id));
}

/** The room alias, or 400 M_INVALID_PARAM. */
export function requireRoomAlias(alias: string): string {
  return check(alias, 'room alias', roomAliasProblem(alias));
}

/**
 * Profile field names (spec v1.16 "Profiles"): the two standard fields, or a
 * key in the Common Namespaced Identifier Grammar (`m.tz`, `org.example.pronouns`),
 * at most 255 bytes. Shared by the client API and federation's query/profile.
 */
const PROFILE_KEY = /^(avatar_url|displayname|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)$/;
export const MAX_PROFILE_KEY_BYTES = 255;
/** Spec v1.16 "Profiles": a whole profile, as JSON, is under 64 KiB. */
export const MAX_PROFILE_BYTES = 64 * 1024;

/** Whether `key` names a profile field (the grammar is ASCII, so its length is its byte length). */
export function isProfileKey(key: string): boolean {
  return key.length <= MAX_PROFILE_KEY_BYTES && PROFILE_KEY.test(key);
}
