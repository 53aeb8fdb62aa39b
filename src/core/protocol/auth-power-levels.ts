// Rule 9 of the room v10/v11 authorisation rules (rule 10 in v12, which adds
// 10.4): m.room.power_levels. A sender may only move levels that are (and
// stay) within their own power.

import type { AuthContext } from './auth-context.ts';
import { POWER_LEVEL_KEYS, isPowerLevelInteger, readPowerLevel } from './power-levels.ts';
import type { RoomVersion } from './room-version.ts';
import { type JsonObject, type JsonValue, type Verdict, allowed, denied, isJsonObject } from './types.ts';

/** Rule 9, for an event that passed rules 1 to 8; `senderLevel` is the sender's current level. */
export function checkPowerLevelsEvent(ctx: AuthContext, senderLevel: number): Verdict {
  const { event, version } = ctx;
  const shape = checkPowerLevelsShape(event.content, version);
  if (!shape.ok) return shape;
  // 10.4 (v12): the creators' power is not the power levels' to give or take.
  const listed = creatorsListedIn(event.content, ctx.creators);
  if (listed !== undefined) return denied(`10.4: users lists the room creator ${listed}`);
  // 9.4
  if (!ctx.powerLevelsEvent) return allowed;
  const before = ctx.powerLevelsEvent.content;
  const after = event.content;
  // 9.5
  for (const key of POWER_LEVEL_KEYS) {
    const [old, next] = [readPowerLevel(before[key], version), readPowerLevel(after[key], version)];
    if (old === next) continue;
    if (old !== undefined && old > senderLevel)
      return denied(`9.5.1: current ${key} ${old} is above the sender`);
    if (next !== undefined && next > senderLevel)
      return denied(`9.5.2: new ${key} ${next} is above the sender`);
  }
  const maps = version.limitNotificationsPowerLevels ? ['events', 'notifications'] : ['events'];
  const changes = maps.flatMap((name) => levelChanges(name, before[name], after[name], version));
  // 9.6
  const lowered = changes.find((c) => c.old !== undefined && c.old > senderLevel);
  if (lowered) return denied(`9.6.1: current ${lowered.name} level ${lowered.old} is above the sender`);
  // 9.7
  const raised = changes.find((c) => c.next !== undefined && c.next > senderLevel);
  if (raised) return denied(`9.7.1: new ${raised.name} level ${raised.next} is above the sender`);
  const users = levelChanges('users', before.users, after.users, version);
  // 9.8
  const demoted = users.find((c) => c.key !== event.sender && c.old !== undefined && c.old >= senderLevel);
  if (demoted)
    return denied(`9.8.1: cannot change ${demoted.name}: level ${demoted.old} is not below the sender`);
  // 9.9
  const promoted = users.find((c) => c.next !== undefined && c.next > senderLevel);
  if (promoted) return denied(`9.9.1: new ${promoted.name} level ${promoted.next} is above the sender`);
  // 9.10
  return allowed;
}

/** The first room creator (v12) that `users` of power levels content lists, if any. */
export function creatorsListedIn(content: JsonObject, creators: ReadonlySet<string>): string | undefined {
  const users = content.users;
  if (!isJsonObject(users)) return undefined;
  return Object.keys(users).find((userId) => creators.has(userId));
}

/** Rules 9.1 to 9.3: the content's shape. Exported for event creation and tests. */
export function checkPowerLevelsShape(content: JsonObject, version: RoomVersion): Verdict {
  if (version.integerPowerLevels) {
    // 9.1
    const bad = POWER_LEVEL_KEYS.find(
      (key) => content[key] !== undefined && !isPowerLevelInteger(content[key]),
    );
    if (bad) return denied(`9.1: ${bad} is not an integer`);
    // 9.2
    for (const name of ['events', 'notifications']) {
      const value = content[name];
      if (value !== undefined && !isLevelMap(value, version)) {
        return denied(`9.2: ${name} is not an object of integers`);
      }
    }
  }
  // 9.3
  const users = content.users;
  if (users !== undefined && !(isLevelMap(users, version) && Object.keys(users).every(isUserId))) {
    return denied('9.3: users is not an object from user ids to integers');
  }
  return allowed;
}

interface LevelChange {
  /** `users["@a:b"]`, for messages. */
  name: string;
  key: string;
  old: number | undefined;
  next: number | undefined;
}

/** Entries added, changed or removed between two level maps. */
function levelChanges(
  mapName: string,
  before: JsonValue | undefined,
  after: JsonValue | undefined,
  version: RoomVersion,
): LevelChange[] {
  const oldMap = isJsonObject(before) ? before : {};
  const newMap = isJsonObject(after) ? after : {};
  const keys = new Set([...Object.keys(oldMap), ...Object.keys(newMap)]);
  const changes: LevelChange[] = [];
  for (const key of keys) {
    const old = readPowerLevel(oldMap[key], version);
    const next = readPowerLevel(newMap[key], version);
    if (old !== next) changes.push({ name: `${mapName}[${JSON.stringify(key)}]`, key, old, next });
  }
  return changes;
}

function isLevelMap(value: JsonValue, version: RoomVersion): value is JsonObject {
  if (!isJsonObject(value)) return false;
  return Object.values(value).every((level) => readPowerLevel(level, version) !== undefined);
}

/** `@localpart:server`, leniently (historical user ids allow most characters in the localpart). */
function isUserId(id: string): boolean {
  return /^@[^:]+:.+$/s.test(id);
}
