import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { redactEvent } from '../../../src/core/protocol/redaction.ts';
import { roomVersion } from '../../../src/core/protocol/room-version.ts';
import type { RoomVersion } from '../../../src/core/protocol/room-version.ts';

// v12 redacts as v11 does (spec rooms/v12: "Unchanged from v11").
const ALL_VERSIONS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'];
const version = (id: string): RoomVersion => roomVersion(id)!;

/** An event with every top-level key the algorithms name, plus some they drop. */
function eventOf(type: string, content: Record<string, unknown>): Record<string, unknown> {
  return {
    event_id: '$e:x',
    type,
    room_id: '!r:x',
    sender: '@a:x',
    state_key: '',
    content,
    hashes: { sha256: 'h' },
    signatures: { x: { 'ed25519:1': 's' } },
    depth: 3,
    prev_events: ['$p'],
    prev_state: [],
    auth_events: ['$a'],
    origin: 'x',
    origin_server_ts: 1,
    membership: 'join',
    unsigned: { age: 1 },
    redacts: '$t',
    extra: 'dropped',
  };
}

/** Content kept by `type` in each version, given `content`. */
function keptContent(type: string, content: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    ALL_VERSIONS.map((v) => [v, redactEvent(eventOf(type, content), version(v)).content]),
  );
}

function expectByVersion(actual: Record<string, unknown>, ranges: [string[], unknown][]): void {
  const expected: Record<string, unknown> = {};
  for (const [ids, value] of ranges) for (const id of ids) expected[id] = value;
  assert.deepEqual(actual, expected);
}

const V1_5 = ['1', '2', '3', '4', '5'];
const V6_7 = ['6', '7'];
const V1_7 = [...V1_5, ...V6_7];
const V1_8 = [...V1_7, '8'];
const V1_10 = [...V1_8, '9', '10'];
const V8_10 = ['8', '9', '10'];

describe('redactEvent: top-level keys', () => {
  test('v1-v10 keep origin, membership and prev_state; v11 drops them; all drop the rest', () => {
    const common = [
      'auth_events',
      'content',
      'depth',
      'event_id',
      'hashes',
      'origin_server_ts',
      'prev_events',
      'room_id',
      'sender',
      'signatures',
      'state_key',
      'type',
    ];
    for (const id of ALL_VERSIONS) {
      const keys = Object.keys(redactEvent(eventOf('m.room.message', {}), version(id))).sort();
      const expected =
        id === '11' || id === '12' ? common : [...common, 'membership', 'origin', 'prev_state'].sort();
      assert.deepEqual(keys, expected, `v${id}`);
    }
  });

  test('absent keys stay absent and a missing content becomes {}', () => {
    const redacted = redactEvent({ type: 'm.room.message', sender: '@a:x' }, version('10'));
    assert.deepEqual(redacted, { type: 'm.room.message', sender: '@a:x', content: {} });
  });
});

describe('redactEvent: content by event type', () => {
  test('m.room.member keeps membership; join_authorised_via_users_server from v9; third_party_invite.signed in v11', () => {
    const content = {
      membership: 'join',
      join_authorised_via_users_server: '@b:x',
      displayname: 'A',
      third_party_invite: { display_name: 'a@b', signed: { token: 't' } },
    };
    expectByVersion(keptContent('m.room.member', content), [
      [V1_8, { membership: 'join' }],
      [['9', '10'], { membership: 'join', join_authorised_via_users_server: '@b:x' }],
      [
        ['11', '12'],
        {
          membership: 'join',
          join_authorised_via_users_server: '@b:x',
          third_party_invite: { signed: { token: 't' } },
        },
      ],
    ]);
  });

  test('v11 third_party_invite without signed leaves {} (as Synapse does); a non-object is dropped', () => {
    assert.deepEqual(
      keptContent('m.room.member', { membership: 'invite', third_party_invite: { x: 1 } })['11'],
      {
        membership: 'invite',
        third_party_invite: {},
      },
    );
    assert.deepEqual(keptContent('m.room.member', { membership: 'invite', third_party_invite: 'x' })['11'], {
      membership: 'invite',
    });
  });

  test('m.room.create keeps creator before v11 and all of its content in v11', () => {
    const content = { creator: '@a:x', room_version: '11', 'm.federate': false };
    expectByVersion(keptContent('m.room.create', content), [
      [V1_10, { creator: '@a:x' }],
      [['11', '12'], content],
    ]);
  });

  test('m.room.join_rules keeps join_rule, and allow from v8', () => {
    const content = { join_rule: 'restricted', allow: [{ type: 'm.room_membership' }], other: 1 };
    expectByVersion(keptContent('m.room.join_rules', content), [
      [V1_7, { join_rule: 'restricted' }],
      [[...V8_10, '11', '12'], { join_rule: 'restricted', allow: [{ type: 'm.room_membership' }] }],
    ]);
  });

  test('m.room.power_levels keeps the auth keys, and invite in v11', () => {
    const auth = {
      ban: 1,
      events: {},
      events_default: 2,
      kick: 3,
      redact: 4,
      state_default: 5,
      users: {},
      users_default: 6,
    };
    const content = { ...auth, invite: 7, notifications: { room: 50 }, historical: 100 };
    expectByVersion(keptContent('m.room.power_levels', content), [
      [V1_10, auth],
      [['11', '12'], { ...auth, invite: 7 }],
    ]);
  });

  test('m.room.aliases keeps aliases only in v1-v5', () => {
    expectByVersion(keptContent('m.room.aliases', { aliases: ['#a:x'], other: 1 }), [
      [V1_5, { aliases: ['#a:x'] }],
      [[...V6_7, ...V8_10, '11', '12'], {}],
    ]);
  });

  test('m.room.history_visibility keeps history_visibility', () => {
    expectByVersion(keptContent('m.room.history_visibility', { history_visibility: 'shared', x: 1 }), [
      [ALL_VERSIONS, { history_visibility: 'shared' }],
    ]);
  });

  test('m.room.redaction keeps content.redacts only in v11; the top-level redacts never survives', () => {
    expectByVersion(keptContent('m.room.redaction', { redacts: '$t', reason: 'spam' }), [
      [V1_10, {}],
      [['11', '12'], { redacts: '$t' }],
    ]);
    for (const id of ALL_VERSIONS) {
      assert.equal('redacts' in redactEvent(eventOf('m.room.redaction', {}), version(id)), false);
    }
  });

  test('other event types lose all content', () => {
    expectByVersion(keptContent('m.room.message', { body: 'hi', msgtype: 'm.text' }), [[ALL_VERSIONS, {}]]);
    expectByVersion(keptContent('m.room.name', { name: 'n' }), [[ALL_VERSIONS, {}]]);
  });

  test('the input event is never modified', () => {
    const event = deepFreeze(eventOf('m.room.member', { membership: 'join', displayname: 'A' }));
    for (const id of ALL_VERSIONS) assert.doesNotThrow(() => redactEvent(event, version(id)));
    assert.deepEqual(event.content, { membership: 'join', displayname: 'A' });
  });
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
