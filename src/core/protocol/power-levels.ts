// Reading m.room.power_levels (spec: client-server API "m.room.power_levels",
// and "Authorisation rules" of each room version). Pure: used by the auth rules
// and by state resolution.

import { isJsonObject, type JsonObject, type JsonValue, type RoomEvent } from './types.ts';
import { type RoomVersion, roomVersion } from './room-version.ts';

/** The levels of a room, with every default filled in. */
export interface PowerLevels {
  /** False when the room has no m.room.power_levels event and these are the defaults. */
  readonly fromEvent: boolean;
  readonly users: ReadonlyMap<string, number>;
  readonly usersDefault: number;
  readonly events: ReadonlyMap<string, number>;
  readonly eventsDefault: number;
  readonly stateDefault: number;
  readonly ban: number;
  readonly kick: number;
  readonly redact: number;
  readonly invite: number;
  readonly notifications: ReadonlyMap<string, number>;
}

/** Top-level integer properties of the content and their defaults. */
export const POWER_LEVEL_DEFAULTS = {
  users_default: 0,
  events_default: 0,
  // Spec v1.7 removed "0 when there is no power levels event": it is 50 either way, as Synapse does.
  state_default: 50,
  ban: 50,
  kick: 50,
  redact: 50,
  invite: 0,
} as const;
export type PowerLevelKey = keyof typeof POWER_LEVEL_DEFAULTS;
export const POWER_LEVEL_KEYS = Object.keys(POWER_LEVEL_DEFAULTS) as PowerLevelKey[];

/** The level a room creator has while the room has no power levels event (rooms v1 to v11). */
export const CREATOR_LEVEL_WITHOUT_POWER_LEVELS = 100;
/**
 * A room creator's level from v12 on: "infinitely high" (spec rooms/v12), above
 * every integer a power levels event can hold, so that no one can kick, ban or
 * demote a creator, and creators cannot act on each other. Clients read it as
 * Infinity too (matrix-js-sdk's RoomMember power).
 */
export const CREATOR_POWER_LEVEL = Number.POSITIVE_INFINITY;

/** True for a JSON integer in the range canonical JSON allows. */
export function isPowerLevelInteger(value: JsonValue | undefined): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

/**
 * Reads one level leniently: integers always; before v10, also decimal strings
 * (spec rooms/v9 "m.room.power_levels events accept values as strings").
 * Anything else reads as absent: the auth rules reject such content in v10+.
 */
export function readPowerLevel(value: JsonValue | undefined, version: RoomVersion): number | undefined {
  if (isPowerLevelInteger(value)) return value;
  if (!version.integerPowerLevels && typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) {
    const n = Number.parseInt(value, 10);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

function readLevelMap(value: JsonValue | undefined, version: RoomVersion): Map<string, number> {
  const map = new Map<string, number>();
  if (!isJsonObject(value)) return map;
  for (const [key, raw] of Object.entries(value)) {
    const level = readPowerLevel(raw, version);
    if (level !== undefined) map.set(key, level);
  }
  return map;
}

/** Parses power levels content; `undefined` (no power levels event) gives the defaults. */
export function parsePowerLevels(content: JsonObject | undefined, version: RoomVersion): PowerLevels {
  const c = content ?? {};
  const level = (key: PowerLevelKey) => readPowerLevel(c[key], version) ?? POWER_LEVEL_DEFAULTS[key];
  const notifications = readLevelMap(c.notifications, version);
  if (!notifications.has('room')) notifications.set('room', 50);
  return {
    fromEvent: content !== undefined,
    users: readLevelMap(c.users, version),
    usersDefault: level('users_default'),
    events: readLevelMap(c.events, version),
    eventsDefault: level('events_default'),
    stateDefault: level('state_default'),
    ban: level('ban'),
    kick: level('kick'),
    redact: level('redact'),
    invite: level('invite'),
    notifications,
  };
}

/**
 * The parsed power levels of a power levels event (undefined: the
 * defaults), kept by the event's content: the events of a received batch
 * cite one power levels event, read once for the batch (event-checks.ts
 * EventRows), and each check parsed it again (3 µs a time, Node 24.21, the
 * bench room's levels; 16 µs a time in the extension's worker under load).
 * An event and its content are never changed once it exists, and
 * PowerLevels is read-only; an event object given another content object is
 * parsed afresh. The auth rules, userPowerLevel and the redaction check all
 * read levels through this one cache.
 */
const parsedLevels = new WeakMap<
  RoomEvent['content'],
  { readonly version: RoomVersion; readonly levels: PowerLevels }
>();

export function powerLevelsOf(event: RoomEvent | undefined, version: RoomVersion): PowerLevels {
  if (!event) return parsePowerLevels(undefined, version);
  const known = parsedLevels.get(event.content);
  if (known && known.version === version) return known.levels;
  const levels = parsePowerLevels(event.content, version);
  parsedLevels.set(event.content, { version, levels });
  return levels;
}

/** The room version an m.room.create event declares (spec: absent means "1"). */
export function versionOfCreateEvent(createEvent: RoomEvent): RoomVersion | undefined {
  const id = createEvent.content.room_version;
  return roomVersion(typeof id === 'string' ? id : '1');
}

/** The room creator: the create event's sender from v11 on, `content.creator` before. */
export function roomCreator(createEvent: RoomEvent, version: RoomVersion): string | undefined {
  if (version.implicitRoomCreator) return createEvent.sender;
  const creator = createEvent.content.creator;
  return typeof creator === 'string' ? creator : undefined;
}

/**
 * The room creators from v12 on (MSC4289): the create event's sender and the
 * user ids in `content.additional_creators` (validated by auth rule 1.4; any
 * entry that is not a string is ignored here). Empty before v12.
 */
export function roomCreators(createEvent: RoomEvent | undefined, version: RoomVersion): Set<string> {
  const creators = new Set<string>();
  if (!version.privilegedCreators || !createEvent) return creators;
  creators.add(createEvent.sender);
  const additional = createEvent.content.additional_creators;
  if (Array.isArray(additional)) for (const id of additional) if (typeof id === 'string') creators.add(id);
  return creators;
}

/**
 * A user's power level. From v12 a creator's is CREATOR_POWER_LEVEL whatever
 * the power levels say; before, without a power levels event the creator has
 * 100. Everyone else has users[id] or users_default (0 without the event).
 * `version` defaults to the one the create event declares.
 */
export function userPowerLevel(
  userId: string,
  powerLevelsEvent: RoomEvent | undefined,
  createEvent: RoomEvent | undefined,
  version: RoomVersion | undefined = createEvent && versionOfCreateEvent(createEvent),
): number {
  const v = version ?? fallbackVersion();
  if (v.privilegedCreators) {
    if (roomCreators(createEvent, v).has(userId)) return CREATOR_POWER_LEVEL;
    return userLevelIn(userId, powerLevelsOf(powerLevelsEvent, v));
  }
  if (powerLevelsEvent) return userLevelIn(userId, powerLevelsOf(powerLevelsEvent, v));
  if (createEvent && roomCreator(createEvent, v) === userId) return CREATOR_LEVEL_WITHOUT_POWER_LEVELS;
  return 0;
}

/** A user's level according to parsed power levels (no creator special case). */
export function userLevelIn(userId: string, pl: PowerLevels): number {
  return pl.users.get(userId) ?? pl.usersDefault;
}

/**
 * The level needed to send an event of `type` (spec: `events`, else
 * `state_default` for state events and `events_default` for the others).
 */
export function requiredPowerLevelForEvent(type: string, isState: boolean, pl: PowerLevels): number {
  return pl.events.get(type) ?? (isState ? pl.stateDefault : pl.eventsDefault);
}

function fallbackVersion(): RoomVersion {
  // Only reached for an unknown or missing create event: read levels the strict (v10+) way.
  return roomVersion('11')!;
}
