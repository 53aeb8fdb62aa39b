// Profiles and the user directory (spec: "Profiles", "User Directory").
// Other servers' users' profiles, custom fields included, come over federation
// (deps.remoteProfiles), else they are 404.
// Besides displayname and avatar_url, a user keeps custom fields (spec v1.16:
// keys in the namespaced grammar, any JSON value, the whole profile under
// 64 KiB); only displayname and avatar_url reach member events and presence.
import { invalidParam, MatrixError, missingParam, notFound } from '../errors.ts';
import { jsonObjectBody, optionalInteger, optionalString, requireString } from '../http/json-body.ts';
import {
  isProfileKey,
  MAX_PROFILE_BYTES,
  MAX_PROFILE_KEY_BYTES,
  parseId,
  requireUserId,
} from '../http/matrix-ids.ts';
import type { HandlerResult, RequestContext, Route } from '../http/route.ts';
import { STREAM_TABLE } from '../storage/stream.ts';
import type { AccountDeps, DirectoryEntry } from './deps.ts';
import { utf8ByteLength } from '../protocol/utf8.ts';
import { getFullProfile, type ProfileField, setCustomField, setProfileField } from './profile.ts';
import { touchPresence } from './presence.ts';
import { callerOf, param, requireSelf, V3 } from './route-helpers.ts';
import { PRESENCE, PROFILES, USERS } from './tables.ts';
import { rankDirectoryEntries, searchLocalUsers } from './user-directory.ts';

/** Synapse's limits: a displayname of 256 characters, an avatar URL of 1000. */
const MAX_LENGTH: Record<ProfileField, number> = { displayname: 256, avatar_url: 1000 };
const DEFAULT_SEARCH_LIMIT = 10;

const isStandard = (key: string): key is ProfileField => key === 'displayname' || key === 'avatar_url';

export function profileRoutes(deps: AccountDeps): Route[] {
  return [
    {
      method: 'GET',
      path: `${V3}/profile/{userId}`,
      auth: 'optional',
      handler: async (ctx) => ({ body: await profileOf(deps, param(ctx, 'userId')) }),
    },
    {
      method: 'GET',
      path: `${V3}/profile/{userId}/{keyName}`,
      auth: 'optional',
      async handler(ctx) {
        const key = keyName(ctx);
        const value = (await profileOf(deps, param(ctx, 'userId'), key))[key];
        if (value === undefined) throw notFound(`No ${key} is set`);
        return { body: { [key]: value } };
      },
    },
    {
      method: 'PUT',
      path: `${V3}/profile/{userId}/{keyName}`,
      auth: 'required',
      handler: (ctx) => {
        const key = keyName(ctx);
        if (isStandard(key)) return setField(deps, ctx, key, 'put');
        return setCustom(deps, ctx, key, 'put');
      },
    },
    {
      method: 'DELETE',
      path: `${V3}/profile/{userId}/{keyName}`,
      auth: 'required',
      handler: (ctx) => {
        const key = keyName(ctx);
        if (isStandard(key)) return setField(deps, ctx, key, 'delete');
        return setCustom(deps, ctx, key, 'delete');
      },
    },
    {
      method: 'POST',
      path: `${V3}/user_directory/search`,
      auth: 'required',
      handler: (ctx) => searchDirectory(deps, ctx),
    },
  ];
}

/** The path's key name: 400 M_KEY_TOO_LARGE over 255 bytes, M_INVALID_PARAM outside the grammar. */
function keyName(ctx: RequestContext): string {
  const key = param(ctx, 'keyName');
  if (utf8ByteLength(key) > MAX_PROFILE_KEY_BYTES)
    throw new MatrixError(
      400,
      'M_KEY_TOO_LARGE',
      `A profile key may not be longer than ${MAX_PROFILE_KEY_BYTES} bytes`,
    );
  if (!isProfileKey(key)) throw invalidParam('Invalid profile key');
  return key;
}

/** 400 M_PROFILE_TOO_LARGE when the profile as it would be, as JSON, is 64 KiB or more. */
function checkProfileSize(profile: Record<string, unknown>): void {
  if (utf8ByteLength(JSON.stringify(profile)) >= MAX_PROFILE_BYTES)
    throw new MatrixError(400, 'M_PROFILE_TOO_LARGE', 'The profile would exceed the maximum of 64 KiB');
}

/**
 * A local user's profile, or another server's user's through federation
 * (deps.remoteProfiles), asked for the one `field` when given (spec v1.16:
 * query/profile's `field` may name a custom field).
 */
async function profileOf(
  deps: AccountDeps,
  userId: string,
  field?: string,
): Promise<Record<string, unknown>> {
  requireUserId(userId);
  const profile =
    parseId(userId).serverName === deps.serverName
      ? await deps.store.read([USERS, PROFILES], (tx) => getFullProfile(tx, userId))
      : await deps.remoteProfiles?.remoteProfile(userId, field);
  if (!profile) throw notFound('Profile not found');
  return { ...profile };
}

/** PUT /profile/{userId}/{keyName} for a custom key (any JSON value, `m.tz` a string), or its DELETE. */
async function setCustom(
  deps: AccountDeps,
  ctx: RequestContext,
  key: string,
  op: 'put' | 'delete',
): Promise<HandlerResult> {
  const userId = requireUserId(param(ctx, 'userId'));
  requireSelf(ctx, userId, 'change the profile');
  let value: unknown;
  if (op === 'put') {
    const body = jsonObjectBody(ctx.req);
    if (!(key in body)) throw missingParam(`The body must hold ${key}`);
    value = body[key];
    // Spec v1.16: m.tz is an IANA time zone name.
    if (key === 'm.tz' && typeof value !== 'string') throw invalidParam('m.tz must be a string');
  }
  await deps.store.write([USERS, PROFILES], async (tx) => {
    if (!(await getFullProfile(tx, userId))) throw notFound('Profile not found');
    await setCustomField(tx, userId, key, value, checkProfileSize);
  });
  return { body: {} };
}

/**
 * PUT /profile/{userId}/displayname (and avatar_url): null or absent clears
 * it, as DELETE does; the change reaches member events and presence.
 */
async function setField(
  deps: AccountDeps,
  ctx: RequestContext,
  field: ProfileField,
  op: 'put' | 'delete',
): Promise<HandlerResult> {
  const userId = requireUserId(param(ctx, 'userId'));
  requireSelf(ctx, userId, `set the ${field}`);
  const value = op === 'put' ? optionalString(jsonObjectBody(ctx.req), field) : undefined;
  if (value !== undefined && value.length > MAX_LENGTH[field]) {
    throw invalidParam(`${field} may not be longer than ${MAX_LENGTH[field]} characters`);
  }
  await deps.store.write([USERS, PROFILES, PRESENCE, STREAM_TABLE], async (tx) => {
    const profile = await getFullProfile(tx, userId);
    if (profile) checkProfileSize({ ...profile, [field]: value });
    await setProfileField(tx, userId, field, value === '' ? undefined : value);
    // Spec: "Events on Change of Profile Information": a presence update carries the new profile.
    await touchPresence(tx, userId, deps.clock.now());
  });
  await deps.rooms.profileChanged(userId);
  deps.notifier.notify({ everyone: true });
  return { body: {} };
}

/** POST /_matrix/client/v3/user_directory/search */
async function searchDirectory(deps: AccountDeps, ctx: RequestContext): Promise<HandlerResult> {
  const body = jsonObjectBody(ctx.req);
  const term = requireString(body, 'search_term');
  const limit = optionalInteger(body, 'limit', { min: 0 }) ?? DEFAULT_SEARCH_LIMIT;
  const searcher = callerOf(ctx).userId;
  const local = await deps.store.read([USERS, PROFILES], (tx) => searchLocalUsers(tx, term));
  const extra = await deps.rooms.directoryCandidates(searcher, term, limit);
  const byId = new Map<string, DirectoryEntry>();
  for (const entry of [...extra, ...local]) byId.set(entry.user_id, entry);
  const ranked = rankDirectoryEntries([...byId.values()], term);
  return { body: { results: ranked.slice(0, limit), limited: ranked.length > limit } };
}
