import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultPushRules } from '../../../src/core/accounts/default-push-rules.ts';

// Spec v1.11, "Predefined Rules", in the spec's order.
const SPEC_RULE_IDS = {
  override: [
    '.m.rule.master',
    '.m.rule.suppress_notices',
    '.m.rule.invite_for_me',
    '.m.rule.member_event',
    '.m.rule.is_user_mention',
    '.m.rule.contains_display_name',
    '.m.rule.is_room_mention',
    '.m.rule.roomnotif',
    '.m.rule.tombstone',
    '.m.rule.reaction',
    '.m.rule.room.server_acl',
    '.m.rule.suppress_edits',
  ],
  content: ['.m.rule.contains_user_name'],
  room: [],
  sender: [],
  underride: [
    '.m.rule.call',
    '.m.rule.encrypted_room_one_to_one',
    '.m.rule.room_one_to_one',
    '.m.rule.message',
    '.m.rule.encrypted',
  ],
};

test('the default rule set has every predefined rule of spec v1.11, in order', () => {
  const rules = defaultPushRules('@alice:hs', 'alice');
  const ids = Object.fromEntries(
    Object.entries(rules).map(([kind, list]) => [kind, list.map((r) => r.rule_id)]),
  );
  assert.deepEqual(ids, SPEC_RULE_IDS);
  for (const rule of Object.values(rules).flat()) assert.equal(rule.default, true, rule.rule_id);
});

test('only .m.rule.master starts disabled; user-specific fields are filled in', () => {
  const rules = defaultPushRules('@alice:hs', 'alice');
  const disabled = Object.values(rules)
    .flat()
    .filter((r) => !r.enabled);
  assert.deepEqual(
    disabled.map((r) => r.rule_id),
    ['.m.rule.master'],
  );
  const invite = rules.override.find((r) => r.rule_id === '.m.rule.invite_for_me');
  assert.deepEqual(invite?.conditions?.[2], { kind: 'event_match', key: 'state_key', pattern: '@alice:hs' });
  const mention = rules.override.find((r) => r.rule_id === '.m.rule.is_user_mention');
  assert.equal(mention?.conditions?.[0]?.value, '@alice:hs');
  assert.equal(rules.content[0]?.pattern, 'alice');
});
