// POST /_matrix/client/v3/createRoom: validates the request, plans the first
// events (create-room-plan.ts) and writes them, the alias and the directory
// entry in one transaction.
import { MatrixError, invalidParam, unsupportedRoomVersion } from '../errors.ts';
import {
  type JsonRecord,
  optionalArray,
  optionalBoolean,
  optionalEnum,
  optionalJsonObjectBody,
  optionalObject,
  optionalString,
  optionalStringArray,
  requireObject,
  requireString,
} from '../http/json-body.ts';
import { requireRoomAlias, requireUserId } from '../http/matrix-ids.ts';
import type { HandlerResult, RequestContext } from '../http/route.ts';
import {
  DEFAULT_ROOM_VERSION,
  type JsonObject,
  type RoomVersion,
  encodeBase64Url,
  isJsonObject,
  roomVersion,
} from '../protocol.ts';
import type { WriteTx } from '../storage/port.ts';
import {
  type InitialStateEvent,
  PRESETS,
  type RoomPlan,
  additionalCreators,
  createRoomDrafts,
} from './create-room-plan.ts';
import type { MemberProfile } from './deps.ts';
import { checkInvitee } from './membership.ts';
import { callerOf } from './route-helpers.ts';
import type { RoomsContext } from './rooms-context.ts';
import { ALIASES, aliasesTable, type DirectoryRow, directoryTable } from './tables.ts';
import { addAlias } from './rows.ts';

/** POST /_matrix/client/v3/createRoom */
export async function createRoom(rooms: RoomsContext, ctx: RequestContext): Promise<HandlerResult> {
  const { deps, writer } = rooms;
  const caller = callerOf(ctx);
  const body = optionalJsonObjectBody(ctx.req);
  const visibility = optionalEnum(body, 'visibility', ['public', 'private'] as const) ?? 'private';
  const aliasName = optionalString(body, 'room_alias_name');
  const alias = aliasName === undefined ? undefined : aliasFromName(aliasName, deps.serverName);
  const invite = (optionalStringArray(body, 'invite') ?? [])
    .map(requireUserId)
    .filter((u) => u !== caller.userId);
  const version = requestedVersion(body);
  for (const userId of invite) await checkInvitee(rooms, userId);
  const profiles = new Map<string, MemberProfile>();
  for (const userId of [caller.userId, ...invite]) {
    const profile = await deps.accounts.profileOf(userId);
    if (profile) profiles.set(userId, profile);
  }
  const plan: RoomPlan = {
    creator: caller.userId,
    version,
    preset:
      optionalEnum(body, 'preset', PRESETS) ?? (visibility === 'public' ? 'public_chat' : 'private_chat'),
    alias,
    name: optionalString(body, 'name'),
    topic: optionalString(body, 'topic'),
    invite: [...new Set(invite)],
    initialState: initialState(body),
    powerLevelOverride: optionalObject(body, 'power_level_content_override') as JsonObject | undefined,
    creationContent: optionalObject(body, 'creation_content') as JsonObject | undefined,
    isDirect: optionalBoolean(body, 'is_direct') ?? false,
    profiles,
  };
  checkCreators(plan);
  if (alias !== undefined && (await deps.store.read([ALIASES], (tx) => aliasesTable.get(tx, alias)))) {
    throw new MatrixError(400, 'M_ROOM_IN_USE', `Room alias ${alias} already taken`);
  }
  // Before v12 a random id on our server; from v12 the create event's id names the room.
  const chosenId = version.roomIdIsCreateEventId
    ? undefined
    : `!${encodeBase64Url(deps.randomBytes(18))}:${deps.serverName}`;
  const [create] = await writer.create(chosenId, version, createRoomDrafts(plan), async (tx, roomId) => {
    if (alias !== undefined) await claimAlias(tx, alias, roomId, caller.userId);
    if (visibility === 'public')
      await directoryTable.put(tx, { room_id: roomId, visibility: 'public' } satisfies DirectoryRow);
  });
  return { body: { room_id: create!.room_id } };
}

function requestedVersion(body: JsonRecord): RoomVersion {
  const id = optionalString(body, 'room_version') ?? DEFAULT_ROOM_VERSION;
  const version = roomVersion(id);
  if (!version?.supported) throw unsupportedRoomVersion(`Room version ${id} is not supported here`);
  return version;
}

/**
 * v12+: `creation_content.additional_creators` must be user ids (auth rule
 * 1.4), and power_level_content_override may not list a creator (rule 10.4):
 * refused here with 400 rather than as an event failing auth.
 */
function checkCreators(plan: RoomPlan): void {
  if (!plan.version.privilegedCreators) return;
  const given = plan.creationContent?.additional_creators;
  if (given !== undefined) {
    if (!Array.isArray(given) || !given.every((id) => typeof id === 'string')) {
      throw invalidParam('creation_content.additional_creators must be an array of user IDs');
    }
    for (const id of given) requireUserId(id);
  }
  const users = plan.powerLevelOverride?.users;
  const creators = [plan.creator, ...additionalCreators(plan)];
  const listed = isJsonObject(users) ? creators.find((id) => Object.hasOwn(users, id)) : undefined;
  if (listed !== undefined) {
    throw invalidParam(
      `power_level_content_override.users may not list ${listed}: room creators have infinite power in room version ${plan.version.id}`,
    );
  }
}

/** `#name:server` for room_alias_name; the localpart may hold neither `:` nor white space. */
export function aliasFromName(name: string, serverName: string): string {
  if (name === '' || /[:\s]/.test(name)) {
    throw invalidParam('room_alias_name must be a non-empty localpart without ":" or white space');
  }
  return requireRoomAlias(`#${name}:${serverName}`);
}

/** Reserves an alias inside the caller's transaction (400 M_ROOM_IN_USE when taken, as createRoom specifies). */
export async function claimAlias(tx: WriteTx, alias: string, roomId: string, creator: string): Promise<void> {
  if (!(await addAlias(tx, { alias, room_id: roomId, creator })))
    throw new MatrixError(400, 'M_ROOM_IN_USE', `Room alias ${alias} already taken`);
}

function initialState(body: JsonRecord): InitialStateEvent[] {
  const list = optionalArray(body, 'initial_state') ?? [];
  return list.map((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw invalidParam(`initial_state[${i}] must be an object`);
    }
    const entry = item as JsonRecord;
    const type = requireString(entry, 'type');
    if (type === 'm.room.create' || type === 'm.room.member') {
      throw invalidParam(`initial_state may not contain ${type} events`);
    }
    return {
      type,
      stateKey: optionalString(entry, 'state_key') ?? '',
      content: requireObject(entry, 'content') as JsonObject,
    };
  });
}
