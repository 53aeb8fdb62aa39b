// The server-default push rules of spec v1.11, "Predefined Rules", in the
// spec's order. `[the user's Matrix ID]` and `[the local part of the user's
// Matrix ID]` in the spec are filled in per user.
import type { PushRule, PushRuleKind } from './tables.ts';

type Condition = Record<string, unknown>;

const SOUND_DEFAULT = { set_tweak: 'sound', value: 'default' };
const HIGHLIGHT = { set_tweak: 'highlight' };

const eventMatch = (key: string, pattern: string): Condition => ({ kind: 'event_match', key, pattern });

function rule(rule_id: string, conditions: Condition[], actions: unknown[], enabled = true): PushRule {
  return { rule_id, default: true, enabled, conditions, actions };
}

function overrideRules(userId: string): PushRule[] {
  return [
    rule('.m.rule.master', [], [], false),
    rule('.m.rule.suppress_notices', [eventMatch('content.msgtype', 'm.notice')], []),
    rule(
      '.m.rule.invite_for_me',
      [
        eventMatch('type', 'm.room.member'),
        eventMatch('content.membership', 'invite'),
        eventMatch('state_key', userId),
      ],
      ['notify', SOUND_DEFAULT],
    ),
    rule('.m.rule.member_event', [eventMatch('type', 'm.room.member')], []),
    rule(
      '.m.rule.is_user_mention',
      [{ kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: userId }],
      ['notify', SOUND_DEFAULT, HIGHLIGHT],
    ),
    rule(
      '.m.rule.contains_display_name',
      [{ kind: 'contains_display_name' }],
      ['notify', SOUND_DEFAULT, HIGHLIGHT],
    ),
    rule(
      '.m.rule.is_room_mention',
      [
        { kind: 'event_property_is', key: 'content.m\\.mentions.room', value: true },
        { kind: 'sender_notification_permission', key: 'room' },
      ],
      ['notify', HIGHLIGHT],
    ),
    rule(
      '.m.rule.roomnotif',
      [eventMatch('content.body', '@room'), { kind: 'sender_notification_permission', key: 'room' }],
      ['notify', HIGHLIGHT],
    ),
    rule(
      '.m.rule.tombstone',
      [eventMatch('type', 'm.room.tombstone'), eventMatch('state_key', '')],
      ['notify', HIGHLIGHT],
    ),
    rule('.m.rule.reaction', [eventMatch('type', 'm.reaction')], []),
    rule(
      '.m.rule.room.server_acl',
      [eventMatch('type', 'm.room.server_acl'), eventMatch('state_key', '')],
      [],
    ),
    rule(
      '.m.rule.suppress_edits',
      [{ kind: 'event_property_is', key: 'content.m\\.relates_to.rel_type', value: 'm.replace' }],
      [],
    ),
  ];
}

function contentRules(localpart: string): PushRule[] {
  return [
    {
      rule_id: '.m.rule.contains_user_name',
      default: true,
      enabled: true,
      pattern: localpart,
      actions: ['notify', SOUND_DEFAULT, HIGHLIGHT],
    },
  ];
}

function underrideRules(): PushRule[] {
  const twoMembers = { kind: 'room_member_count', is: '2' };
  return [
    rule(
      '.m.rule.call',
      [eventMatch('type', 'm.call.invite')],
      ['notify', { set_tweak: 'sound', value: 'ring' }],
    ),
    rule(
      '.m.rule.encrypted_room_one_to_one',
      [twoMembers, eventMatch('type', 'm.room.encrypted')],
      ['notify', SOUND_DEFAULT],
    ),
    rule(
      '.m.rule.room_one_to_one',
      [twoMembers, eventMatch('type', 'm.room.message')],
      ['notify', SOUND_DEFAULT],
    ),
    rule('.m.rule.message', [eventMatch('type', 'm.room.message')], ['notify']),
    rule('.m.rule.encrypted', [eventMatch('type', 'm.room.encrypted')], ['notify']),
  ];
}

/** The server-default rules for one user, by kind (room and sender have none). */
export function defaultPushRules(userId: string, localpart: string): Record<PushRuleKind, PushRule[]> {
  return {
    override: overrideRules(userId),
    content: contentRules(localpart),
    room: [],
    sender: [],
    underride: underrideRules(),
  };
}
