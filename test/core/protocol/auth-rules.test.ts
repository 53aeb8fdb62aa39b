import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkAuth } from '../../../src/core/protocol/auth-rules.ts';
import { roomVersion } from '../../../src/core/protocol/room-version.ts';
import type { RoomEvent } from '../../../src/core/protocol/types.ts';
import { RoomBuilder } from '../../support/room-builder.ts';
import { assertAllowed, assertDenied } from '../../support/verdicts.ts';

const ALICE = '@alice:a';
const BOB = '@bob:b';

function check(room: RoomBuilder, event: RoomEvent) {
  return checkAuth(event, room.stateLookup(), room.version);
}

describe('checkAuth: room versions', () => {
  test('refuses room versions without full auth rules', () => {
    const room = new RoomBuilder({ creator: ALICE });
    const message = room.build({ type: 'm.room.message', sender: ALICE, content: {} });
    assertAllowed(check(room, message));
    assert.deepEqual(checkAuth(message, room.stateLookup(), roomVersion('9')!), {
      ok: false,
      reason: 'room version 9 is not supported by these auth rules',
    });
  });
});

describe('checkAuth rule 1: m.room.create', () => {
  const empty = () => undefined;
  for (const version of ['10', '11']) {
    test(`v${version}: the builder's create event is allowed`, () => {
      const room = new RoomBuilder({ version, creator: ALICE });
      assertAllowed(checkAuth(room.create, empty, room.version));
    });
  }

  test('1.1: a create event with prev_events is rejected', () => {
    const room = new RoomBuilder({ creator: ALICE });
    const create = room.build({
      type: 'm.room.create',
      sender: ALICE,
      stateKey: '',
      content: { creator: ALICE, room_version: '10' },
      prevEvents: [room.create.event_id],
    });
    assertDenied(checkAuth(create, empty, room.version), '1.1');
  });

  test('1.2: the room id must be on the sender’s server', () => {
    const room = new RoomBuilder({ creator: ALICE, roomId: '!room:elsewhere' });
    assertDenied(checkAuth(room.create, empty, room.version), '1.2');
  });

  test('1.3: an unknown content.room_version is rejected', () => {
    const room = new RoomBuilder({ creator: ALICE, createContent: { room_version: '99' } });
    assertDenied(checkAuth(room.create, empty, room.version), '1.3');
  });

  test('1.3: an older but known content.room_version passes this rule', () => {
    const room = new RoomBuilder({ creator: ALICE, createContent: { room_version: '9' } });
    assertAllowed(checkAuth(room.create, empty, room.version));
  });

  test('1.4: v10 requires content.creator', () => {
    const room = new RoomBuilder({ version: '10', creator: ALICE });
    const create = { ...room.create, content: { room_version: '10' } };
    assertDenied(checkAuth(create, empty, room.version), '1.4');
  });

  test('v11 has no creator property and does not need one', () => {
    const room = new RoomBuilder({ version: '11', creator: ALICE });
    assertAllowed(checkAuth(room.create, empty, room.version));
  });
});

describe('checkAuth rules 2.4, 2.5 and 3: the create event in the auth state', () => {
  test('2.4: an event checked against state without m.room.create is rejected', () => {
    const room = new RoomBuilder({ creator: ALICE });
    const message = room.build({ type: 'm.room.message', sender: ALICE, content: {} });
    const lookup = room.stateLookup();
    const verdict = checkAuth(
      message,
      (type, key) => (type === 'm.room.create' ? undefined : lookup(type, key)),
      room.version,
    );
    assertDenied(verdict, '2.4');
  });

  test('2.5: a create event from another room is rejected', () => {
    const room = new RoomBuilder({ creator: ALICE });
    const other = new RoomBuilder({ creator: ALICE, roomId: '!other:a' });
    const message = room.build({ type: 'm.room.message', sender: ALICE, content: {} });
    assertDenied(checkAuth(message, other.stateLookup(), room.version), '2.5');
  });

  test('3: with m.federate false only the creator’s server may take part', () => {
    const room = new RoomBuilder({ creator: ALICE, createContent: { 'm.federate': false } });
    assertDenied(check(room, room.buildMember(BOB, BOB, 'join')), '3');
    assertAllowed(check(room, room.buildMember('@carol:a', '@carol:a', 'join')));
  });
});

describe('checkAuth rules 5 to 8: ordinary events', () => {
  test('5: a sender who is not joined cannot send', () => {
    const room = new RoomBuilder({ creator: ALICE });
    const message = room.build({ type: 'm.room.message', sender: BOB, content: {} });
    assertDenied(check(room, message), '5');
    room.join(BOB);
    assertAllowed(check(room, message));
    room.leave(BOB);
    assertDenied(check(room, message), '5');
  });

  test('6: m.room.third_party_invite needs the invite level', () => {
    const room = new RoomBuilder({ creator: ALICE, powerLevels: { invite: 50 } });
    room.join(BOB);
    const spec = { type: 'm.room.third_party_invite', stateKey: 'token', content: { display_name: 'c…' } };
    assertDenied(check(room, room.build({ ...spec, sender: BOB })), '6.1');
    assertAllowed(check(room, room.build({ ...spec, sender: ALICE })));
  });

  test('6 runs before 7: an events entry for m.room.third_party_invite is ignored', () => {
    const room = new RoomBuilder({
      creator: ALICE,
      powerLevels: { events: { 'm.room.third_party_invite': 100 } },
    });
    room.join(BOB);
    const invite = room.build({ type: 'm.room.third_party_invite', sender: BOB, stateKey: 't', content: {} });
    assertAllowed(check(room, invite));
  });

  test('7: events_default is the threshold for message events', () => {
    const room = new RoomBuilder({
      creator: ALICE,
      powerLevels: { events_default: 10, users: { [ALICE]: 100, '@carol:c': 10 } },
    });
    room.join(BOB);
    room.join('@carol:c');
    assertDenied(check(room, room.build({ type: 'm.room.message', sender: BOB, content: {} })), '7');
    assertAllowed(check(room, room.build({ type: 'm.room.message', sender: '@carol:c', content: {} })));
  });

  test('7: each check reads the levels its power levels event holds, however often that event was checked against', () => {
    const room = new RoomBuilder({
      creator: ALICE,
      powerLevels: { events_default: 10, users: { [ALICE]: 100 } },
    });
    room.join(BOB);
    const message = room.build({ type: 'm.room.message', sender: BOB, content: {} });
    const levels = room.stateLookup()('m.room.power_levels', '')!;
    // The same event object, as a received batch's checks all see it: the same verdict each time.
    for (let i = 0; i < 3; i++) assertDenied(check(room, message), '7');
    // Another power levels event, then the first again: neither answers for the other.
    const lowered = { ...levels, content: { ...levels.content, events_default: 0 } };
    const lookup = (type: string, stateKey: string) =>
      type === 'm.room.power_levels' ? lowered : room.stateLookup()(type, stateKey);
    assertAllowed(checkAuth(message, lookup, room.version));
    assertDenied(check(room, message), '7');
    // An object given another content is read afresh.
    const changed = { ...levels };
    const changedLookup = (type: string, stateKey: string) =>
      type === 'm.room.power_levels' ? changed : room.stateLookup()(type, stateKey);
    assertDenied(checkAuth(message, changedLookup, room.version), '7');
    changed.content = { ...levels.content, events_default: 0 };
    assertAllowed(checkAuth(message, changedLookup, room.version));
  });

  test('7: state_default is the threshold for state events, events overrides it', () => {
    const room = new RoomBuilder({ creator: ALICE, powerLevels: { events: { 'm.room.topic': 0 } } });
    room.join(BOB);
    const name = room.build({ type: 'm.room.name', sender: BOB, stateKey: '', content: { name: 'x' } });
    assertDenied(check(room, name), '7');
    const topic = room.build({ type: 'm.room.topic', sender: BOB, stateKey: '', content: { topic: 'x' } });
    assertAllowed(check(room, topic));
  });

  test('7: without a power levels event the creator has 100 and others 0 against state_default 50', () => {
    const room = new RoomBuilder({ creator: ALICE, powerLevels: null });
    room.invite(ALICE, BOB);
    room.join(BOB);
    const spec = { type: 'm.room.name', stateKey: '', content: { name: 'x' } };
    assertDenied(check(room, room.build({ ...spec, sender: BOB })), '7');
    assertAllowed(check(room, room.build({ ...spec, sender: ALICE })));
    assertAllowed(check(room, room.build({ type: 'm.room.message', sender: BOB, content: {} })));
  });

  test('8: a state_key starting with @ belongs to that user', () => {
    const room = new RoomBuilder({ creator: ALICE });
    room.join(BOB);
    const spec = { type: 'org.example.profile', content: {} };
    assertDenied(check(room, room.build({ ...spec, sender: ALICE, stateKey: BOB })), '8');
    assertAllowed(check(room, room.build({ ...spec, sender: ALICE, stateKey: ALICE })));
  });
});

describe('checkAuth: redactions are ordinary events for the auth rules', () => {
  for (const version of ['10', '11']) {
    test(`v${version}: any joined user may send a redaction; the redact level is not consulted`, () => {
      const room = new RoomBuilder({ version, creator: ALICE, powerLevels: { redact: 100 } });
      room.join(BOB);
      const target = room.message(ALICE);
      assertAllowed(check(room, room.buildRedaction(BOB, target.event_id)));
    });

    test(`v${version}: events["m.room.redaction"] does limit who may redact`, () => {
      const room = new RoomBuilder({
        version,
        creator: ALICE,
        powerLevels: { events: { 'm.room.redaction': 50 } },
      });
      room.join(BOB);
      const target = room.message(BOB);
      const redaction = room.build({
        type: 'm.room.redaction',
        sender: BOB,
        content: { redacts: target.event_id },
      });
      assertDenied(check(room, redaction), '7');
    });
  }
});

describe('checkAuth: the caller picks the auth state', () => {
  test('an event’s own auth events give the same verdict as the state before it', () => {
    const room = new RoomBuilder({ creator: ALICE, joinRule: 'invite' });
    room.invite(ALICE, BOB);
    const join = room.buildMember(BOB, BOB, 'join');
    room.append(join);
    assertAllowed(checkAuth(join, room.authEventsLookup(join), room.version));
    const message = room.build({ type: 'm.room.message', sender: BOB, content: {} });
    assertAllowed(checkAuth(message, room.authEventsLookup(message), room.version));
  });
});
