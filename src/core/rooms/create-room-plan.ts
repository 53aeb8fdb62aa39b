// The events a new room starts with (spec: client-server API, POST
// /createRoom, "the server MUST create the following events, in order").
import type { JsonObject, RoomVersion } from '../protocol.ts';
import { stateKeyOf } from '../protocol.ts';
import type { MemberProfile } from './deps.ts';
import type { EventDraft } from './event-builder.ts';

export type Preset = 'private_chat' | 'public_chat' | 'trusted_private_chat';
export const PRESETS: readonly Preset[] = ['private_chat', 'public_chat', 'trusted_private_chat'];

export interface InitialStateEvent {
  readonly type: string;
  readonly stateKey: string;
  readonly content: JsonObject;
}

export interface RoomPlan {
  readonly creator: string;
  readonly version: RoomVersion;
  readonly preset: Preset;
  readonly alias?: string;
  readonly name?: string;
  readonly topic?: string;
  readonly invite: readonly string[];
  readonly initialState: readonly InitialStateEvent[];
  readonly powerLevelOverride?: JsonObject;
  readonly creationContent?: JsonObject;
  readonly isDirect: boolean;
  readonly profiles: ReadonlyMap<string, MemberProfile>;
}

/** The state each preset sets (spec: the createRoom preset table). */
const PRESET_STATE: Record<Preset, { join_rule: string; history_visibility: string; guest_access: string }> =
  {
    private_chat: { join_rule: 'invite', history_visibility: 'shared', guest_access: 'can_join' },
    trusted_private_chat: { join_rule: 'invite', history_visibility: 'shared', guest_access: 'can_join' },
    public_chat: { join_rule: 'public', history_visibility: 'shared', guest_access: 'forbidden' },
  };

/**
 * The drafts, in the spec's order:
 * 1. m.room.create (creation_content, room_version, and creator before v11);
 * 2. the creator's join;
 * 3. m.room.power_levels (defaults, then power_level_content_override);
 * 4. m.room.canonical_alias when room_alias_name is given;
 * 5. the preset's join rules, history visibility and guest access (unless initial_state sets them);
 * 6. initial_state;
 * 7. m.room.name and m.room.topic;
 * 8. an invite per user in `invite`.
 */
export function createRoomDrafts(plan: RoomPlan): EventDraft[] {
  const { creator } = plan;
  const state = (type: string, content: JsonObject, stateKey = ''): EventDraft => ({
    type,
    sender: creator,
    stateKey,
    content,
  });
  const initialKeys = new Set(plan.initialState.map((e) => stateKeyOf(e.type, e.stateKey)));
  const presetState = PRESET_STATE[plan.preset];
  const drafts: EventDraft[] = [
    // 1.
    state('m.room.create', createContent(plan)),
    // 2.
    state('m.room.member', memberContent('join', plan.profiles.get(creator)), creator),
    // 3.
    state('m.room.power_levels', { ...defaultPowerLevels(plan), ...plan.powerLevelOverride }),
  ];
  // 4.
  if (plan.alias !== undefined) drafts.push(state('m.room.canonical_alias', { alias: plan.alias }));
  // 5.
  const presetEvents: [string, JsonObject][] = [
    ['m.room.join_rules', { join_rule: presetState.join_rule }],
    ['m.room.history_visibility', { history_visibility: presetState.history_visibility }],
    ['m.room.guest_access', { guest_access: presetState.guest_access }],
  ];
  for (const [type, content] of presetEvents) {
    if (!initialKeys.has(stateKeyOf(type, ''))) drafts.push(state(type, content));
  }
  // 6.
  for (const e of plan.initialState) drafts.push(state(e.type, e.content, e.stateKey));
  // 7.
  if (plan.name !== undefined) drafts.push(state('m.room.name', { name: plan.name }));
  if (plan.topic !== undefined) drafts.push(state('m.room.topic', { topic: plan.topic }));
  // 8.
  for (const invitee of plan.invite) {
    const content = memberContent('invite', plan.profiles.get(invitee));
    drafts.push(state('m.room.member', plan.isDirect ? { ...content, is_direct: true } : content, invitee));
  }
  return drafts;
}

function createContent(plan: RoomPlan): JsonObject {
  const { creator: _c, room_version: _v, ...extra } = plan.creationContent ?? {};
  const creator: JsonObject = plan.version.implicitRoomCreator ? {} : { creator: plan.creator };
  const additional = additionalCreators(plan);
  if (additional.length > 0) extra.additional_creators = additional;
  return { ...extra, ...creator, room_version: plan.version.id };
}

/**
 * v12+ (spec v1.16 createRoom): `creation_content.additional_creators`, and
 * for `trusted_private_chat` the invitees too, once each (the creator is a
 * creator anyway). Empty before v12, where that content has no meaning.
 */
export function additionalCreators(
  plan: Pick<RoomPlan, 'version' | 'creator' | 'creationContent' | 'preset' | 'invite'>,
): string[] {
  if (!plan.version.privilegedCreators) return [];
  const given = plan.creationContent?.additional_creators;
  const ids = Array.isArray(given) ? given.filter((id): id is string => typeof id === 'string') : [];
  if (plan.preset === 'trusted_private_chat') ids.push(...plan.invite);
  return [...new Set(ids)].filter((id) => id !== plan.creator);
}

/** Member event content with the user's profile. */
export function memberContent(membership: string, profile: MemberProfile | undefined): JsonObject {
  const content: JsonObject = { membership };
  if (profile?.displayname !== undefined) content.displayname = profile.displayname;
  if (profile?.avatar_url !== undefined) content.avatar_url = profile.avatar_url;
  return content;
}

/**
 * Synapse's defaults, which clients expect: admins guard the room's identity
 * and security settings. From v12 the creators (the trusted_private_chat
 * invitees among them) have infinite power and are not listed, and upgrading
 * the room (m.room.tombstone) is above every admin: 150 (spec v1.16 createRoom).
 */
function defaultPowerLevels(plan: RoomPlan): JsonObject {
  const v12 = plan.version.privilegedCreators;
  const users: JsonObject = v12 ? {} : { [plan.creator]: 100 };
  if (plan.preset === 'trusted_private_chat' && !v12) for (const invitee of plan.invite) users[invitee] = 100;
  return {
    users,
    users_default: 0,
    events: {
      'm.room.name': 50,
      'm.room.power_levels': 100,
      'm.room.history_visibility': 100,
      'm.room.canonical_alias': 50,
      'm.room.avatar': 50,
      'm.room.tombstone': v12 ? 150 : 100,
      'm.room.server_acl': 100,
      'm.room.encryption': 100,
    },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: plan.preset === 'public_chat' ? 50 : 0,
  };
}
