// POST /_matrix/client/v3/rooms/{roomId}/upgrade {new_version} (spec:
// client-server API "Room Upgrades", server behaviour):
// 1. the caller must be allowed to send m.room.tombstone in the old room;
// 2. the new room: m.room.create with `predecessor` (and the old room's
//    `type`), the state the spec lists copied (power levels included: the
//    caller keeps the power they had), the canonical alias;
// 3. the old room gets the tombstone naming the new room;
// 4. the old room's power levels are restricted (events_default and invite
//    to at least 50 and above users_default), so it is read-only to most;
// 5. local aliases, the canonical alias and the directory entry move to the
//    new room (in the transaction that creates it).
// Members follow the tombstone and join the new room (by id, through the
// upgrader's server, which holds it).
import { forbidden, unsupportedRoomVersion } from '../errors.ts';
import { jsonObjectBody, requireString } from '../http/json-body.ts';
import type { RequestContext } from '../http/route.ts';
import {
  type JsonObject,
  encodeBase64Url,
  isJsonObject,
  parsePowerLevels,
  requiredPowerLevelForEvent,
  roomVersion,
  userPowerLevel,
} from '../protocol.ts';
import type { ReadTx } from '../storage/port.ts';
import { type InitialStateEvent, createRoomDrafts } from './create-room-plan.ts';
import type { MemberProfile } from './deps.ts';
import { callerOf, requireRoom, roomIdParam } from './route-helpers.ts';
import type { RoomsContext } from './rooms-context.ts';
import { aliasesOf, isPublished, memberRow, setPublished } from './rows.ts';
import { currentStateEvent } from './state-read.ts';
import { aliasesTable, roomTableNames } from './tables.ts';

/** The state copied to the new room (spec: "Room Upgrades", step 2), besides power levels. */
const COPIED = [
  'm.room.server_acl',
  'm.room.encryption',
  'm.room.name',
  'm.room.avatar',
  'm.room.topic',
  'm.room.guest_access',
  'm.room.history_visibility',
  'm.room.join_rules',
];

interface OldRoom {
  readonly state: InitialStateEvent[];
  readonly powerLevels: JsonObject;
  readonly creationContent: JsonObject;
  readonly canonicalAlias?: JsonObject;
  readonly aliases: string[];
  readonly published: boolean;
}

export async function upgradeRoom(rooms: RoomsContext, ctx: RequestContext): Promise<unknown> {
  const { deps, writer } = rooms;
  const caller = callerOf(ctx);
  const oldId = roomIdParam(ctx);
  const id = requireString(jsonObjectBody(ctx.req), 'new_version');
  const version = roomVersion(id);
  if (!version?.supported) throw unsupportedRoomVersion(`Room version ${id} is not supported here`);
  // 1.
  const old = await deps.store.read(roomTableNames, (tx) => readOldRoom(tx, oldId, caller.userId));
  // 2.
  const powerLevels: JsonObject = { ...old.powerLevels };
  const users = isJsonObject(powerLevels.users) ? powerLevels.users : {};
  if (version.privilegedCreators) {
    // From v12 the creator is above the power levels, and may not be listed.
    const { [caller.userId]: _creator, ...others } = users;
    powerLevels.users = others;
  } else {
    // Before v12 the creator's power is the power levels' alone: a v12 room's
    // creators are not listed there, so the upgrader is (with at least 100),
    // or it could not even send the state it copies.
    const held = typeof users[caller.userId] === 'number' ? (users[caller.userId] as number) : 0;
    powerLevels.users = { ...users, [caller.userId]: Math.max(held, 100) };
  }
  const profile: MemberProfile | undefined = await deps.accounts.profileOf(caller.userId);
  const state = [...old.state];
  if (old.canonicalAlias)
    state.push({ type: 'm.room.canonical_alias', stateKey: '', content: old.canonicalAlias });
  const drafts = createRoomDrafts({
    creator: caller.userId,
    version,
    preset: 'private_chat',
    invite: [],
    initialState: state,
    powerLevelOverride: powerLevels,
    creationContent: { ...old.creationContent, predecessor: { room_id: oldId } },
    isDirect: false,
    profiles: profile ? new Map([[caller.userId, profile]]) : new Map(),
  });
  const chosenId = version.roomIdIsCreateEventId
    ? undefined
    : `!${encodeBase64Url(deps.randomBytes(18))}:${deps.serverName}`;
  const [create] = await writer.create(chosenId, version, drafts, async (tx, newId) => {
    // 5.
    for (const alias of old.aliases) {
      const row = await aliasesTable.get(tx, alias);
      if (row) await aliasesTable.put(tx, { ...row, room_id: newId });
    }
    if (old.published) {
      await setPublished(tx, oldId, false);
      await setPublished(tx, newId, true);
    }
  });
  const newId = create!.room_id;
  // 3.
  await writer.send(oldId, {
    type: 'm.room.tombstone',
    sender: caller.userId,
    stateKey: '',
    content: { body: 'This room has been replaced', replacement_room: newId },
  });
  // 4.
  await writer.send(
    oldId,
    { type: 'm.room.power_levels', sender: caller.userId, stateKey: '', content: {} },
    { content: (tx) => restrictedPowerLevels(tx, oldId) },
  );
  if (old.canonicalAlias) {
    await writer.send(oldId, {
      type: 'm.room.canonical_alias',
      sender: caller.userId,
      stateKey: '',
      content: {},
    });
  }
  return { replacement_room: newId };
}

async function readOldRoom(tx: ReadTx, roomId: string, userId: string): Promise<OldRoom> {
  const room = await requireRoom(tx, roomId);
  const version = roomVersion(room.version);
  const create = (await currentStateEvent(tx, roomId, 'm.room.create'))?.pdu;
  const plEvent = (await currentStateEvent(tx, roomId, 'm.room.power_levels'))?.pdu;
  if (!version || !create) throw forbidden('The room cannot be upgraded');
  if ((await memberRow(tx, roomId, userId))?.membership !== 'join')
    throw forbidden(`${userId} is not in the room`);
  const pl = parsePowerLevels(plEvent?.content, version);
  const needed = requiredPowerLevelForEvent('m.room.tombstone', true, pl);
  if (userPowerLevel(userId, plEvent, create, version) < needed) {
    throw forbidden(`Upgrading needs power level ${needed} for m.room.tombstone`);
  }
  const state: InitialStateEvent[] = [];
  for (const type of COPIED) {
    const row = await currentStateEvent(tx, roomId, type);
    if (row) state.push({ type, stateKey: '', content: row.pdu.content });
  }
  const creationContent: JsonObject = {};
  for (const key of ['type', 'm.federate'] as const) {
    if (create.content[key] !== undefined) creationContent[key] = create.content[key]!;
  }
  const alias = (await currentStateEvent(tx, roomId, 'm.room.canonical_alias'))?.pdu.content;
  return {
    state,
    powerLevels: plEvent?.content ?? {},
    creationContent,
    ...(alias && Object.keys(alias).length > 0 && { canonicalAlias: alias }),
    aliases: await aliasesOf(tx, roomId),
    published: await isPublished(tx, roomId),
  };
}

/** 4. The old room's power levels with events_default and invite raised (Synapse does the same). */
async function restrictedPowerLevels(tx: ReadTx, roomId: string): Promise<JsonObject> {
  const content: JsonObject = {
    ...((await currentStateEvent(tx, roomId, 'm.room.power_levels'))?.pdu.content ?? {}),
  };
  const usersDefault = typeof content.users_default === 'number' ? content.users_default : 0;
  const restricted = Math.max(50, usersDefault + 1);
  for (const key of ['events_default', 'invite'] as const) {
    const level = typeof content[key] === 'number' ? (content[key] as number) : 0;
    if (level < restricted) content[key] = restricted;
  }
  return content;
}
