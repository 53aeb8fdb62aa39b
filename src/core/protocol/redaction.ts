// The redaction algorithm (spec: rooms/fragments/v1-, v6-, v9-, v11-redactions
// and the inline one of rooms/v8). It decides what survives a redaction, and
// also what event ids and event signatures cover, so it must be byte-exact.

import type { RoomVersion } from './room-version.ts';
import { isJsonObject } from './types.ts';

type JsonRecord = Record<string, unknown>;

const TOP_LEVEL_KEPT = [
  'event_id',
  'type',
  'room_id',
  'sender',
  'state_key',
  'content',
  'hashes',
  'signatures',
  'depth',
  'prev_events',
  'auth_events',
  'origin_server_ts',
];
/** Kept before v11 only. */
const TOP_LEVEL_KEPT_BEFORE_V11 = ['prev_state', 'origin', 'membership'];

const POWER_LEVELS_KEPT = [
  'ban',
  'events',
  'events_default',
  'kick',
  'redact',
  'state_default',
  'users',
  'users_default',
];

/**
 * Returns the redacted copy of `event`; the input is not modified (kept
 * nested values are shared, not copied). Steps as in the spec:
 * 1. Strip every top-level key not in the room version's list.
 * 2. Strip every `content` key except those the event's type keeps.
 */
export function redactEvent<T extends object>(event: T, version: RoomVersion): T {
  const source = event as JsonRecord;
  const kept = version.redactionV11 ? TOP_LEVEL_KEPT : [...TOP_LEVEL_KEPT, ...TOP_LEVEL_KEPT_BEFORE_V11];
  // 1. Top-level keys.
  const out: JsonRecord = {};
  for (const key of kept) {
    if (Object.hasOwn(source, key)) out[key] = source[key];
  }
  // 2. Content keys.
  const content = isJsonObject(source.content) ? source.content : {};
  out.content = redactContent(String(source.type), content, version);
  return out as T;
}

function redactContent(type: string, content: JsonRecord, version: RoomVersion): JsonRecord {
  switch (type) {
    case 'm.room.member':
      return redactMemberContent(content, version);
    case 'm.room.create':
      // v11: the whole content survives (MSC2176); before, only `creator`.
      return version.redactionV11 ? { ...content } : pick(content, ['creator']);
    case 'm.room.join_rules':
      // v8 added `allow` along with the restricted join rule.
      return pick(content, version.restrictedJoins ? ['join_rule', 'allow'] : ['join_rule']);
    case 'm.room.power_levels':
      return pick(content, version.redactionV11 ? [...POWER_LEVELS_KEPT, 'invite'] : POWER_LEVELS_KEPT);
    case 'm.room.aliases':
      // v6 removed the protection together with the special auth rule.
      return version.specialCasedAliasesAuth ? pick(content, ['aliases']) : {};
    case 'm.room.history_visibility':
      return pick(content, ['history_visibility']);
    case 'm.room.redaction':
      // v11 moved `redacts` into content.
      return version.redactionV11 ? pick(content, ['redacts']) : {};
    default:
      return {};
  }
}

function redactMemberContent(content: JsonRecord, version: RoomVersion): JsonRecord {
  const out = pick(
    content,
    version.redactionKeepsAuthorisingServer
      ? ['membership', 'join_authorised_via_users_server']
      : ['membership'],
  );
  // v11 (MSC3821) keeps `third_party_invite.signed`. Like Synapse, an object
  // without `signed` leaves an empty `third_party_invite: {}` behind; anything
  // that is not an object is dropped.
  const invite = content.third_party_invite;
  if (version.redactionV11 && isJsonObject(invite)) {
    out.third_party_invite = Object.hasOwn(invite, 'signed') ? { signed: invite.signed } : {};
  }
  return out;
}

function pick(content: JsonRecord, keys: readonly string[]): JsonRecord {
  const out: JsonRecord = {};
  for (const key of keys) {
    if (Object.hasOwn(content, key)) out[key] = content[key];
  }
  return out;
}
