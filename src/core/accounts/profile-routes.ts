// Profiles and the user directory (spec: "Profiles", "User Directory").
// Other servers' users' profiles come over federation (deps.remoteProfiles), else they are 404.
import { invalidParam, notFound } from '../errors.ts';
import { jsonObjectBody, optionalInteger, optionalString, requireString } from '../http/json-body.ts';
import { parseId, requireUserId } from '../http/matrix-ids.ts';
import type { HandlerResult, RequestContext, Route } from '../http/route.ts';
import { STREAM_TABLE } from '../storage/stream.ts';
import type { AccountDeps, DirectoryEntry } from './deps.ts';
import { getProfile, type ProfileField, setProfileField } from './profile.ts';
import { touchPresence } from './presence.ts';
import { callerOf, param, requireSelf, V3 } from './route-helpers.ts';
import { PRESENCE, PROFILES, USERS } from './tables.ts';
import { rankDirectoryEntries, searchLocalUsers } from './user-directory.ts';

/** Synapse's limits: a displayname of 256 characters, an avatar URL of 1000. */
const MAX_LENGTH: Record<ProfileField, number> = { displayname: 256, avatar_url: 1000 };
const DEFAULT_SEARCH_LIMIT = 10;

export function profileRoutes(deps: AccountDeps): Route[] {
  const fields: ProfileField[] = ['displayname', 'avatar_url'];
  return [
    {
      method: 'GET',
      path: `${V3}/profile/{userId}`,
      auth: 'optional',
      handler: async (ctx) => ({ body: await profileOf(deps, param(ctx, 'userId')) }),
    },
    ...fields.flatMap((field): Route[] => [
      {
        method: 'GET',
        path: `${V3}/profile/{userId}/${field}`,
        auth: 'optional',
        async handler(ctx) {
          const value = (await profileOf(deps, param(ctx, 'userId')))[field];
          if (value === undefined) throw notFound(`No ${field} is set`);
          return { body: { [field]: value } };
        },
      },
      {
        method: 'PUT',
        path: `${V3}/profile/{userId}/${field}`,
        auth: 'required',
        handler: (ctx) => setField(deps, ctx, field),
      },
    ]),
    {
      method: 'POST',
      path: `${V3}/user_directory/search`,
      auth: 'required',
      handler: (ctx) => searchDirectory(deps, ctx),
    },
  ];
}

/** A local user's profile, or another server's user's through federation (deps.remoteProfiles). */
async function profileOf(deps: AccountDeps, userId: string) {
  requireUserId(userId);
  const profile =
    parseId(userId).serverName === deps.serverName
      ? await deps.store.read([USERS, PROFILES], (tx) => getProfile(tx, userId))
      : await deps.remoteProfiles?.remoteProfile(userId);
  if (!profile) throw notFound('Profile not found');
  return profile;
}

/** PUT /_matrix/client/v3/profile/{userId}/displayname (and avatar_url): null or absent clears it. */
async function setField(deps: AccountDeps, ctx: RequestContext, field: ProfileField): Promise<HandlerResult> {
  const userId = requireUserId(param(ctx, 'userId'));
  requireSelf(ctx, userId, `set the ${field}`);
  const value = optionalString(jsonObjectBody(ctx.req), field);
  if (value !== undefined && value.length > MAX_LENGTH[field]) {
    throw invalidParam(`${field} may not be longer than ${MAX_LENGTH[field]} characters`);
  }
  await deps.store.write([PROFILES, PRESENCE, STREAM_TABLE], async (tx) => {
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
