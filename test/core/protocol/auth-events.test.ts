import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { authEventTypesFor, checkAuthEventsSelection } from '../../../src/core/protocol/auth-events.ts';
import { roomVersion } from '../../../src/core/protocol/room-version.ts';
import type { RoomEvent } from '../../../src/core/protocol/types.ts';
import { RoomBuilder } from '../../support/room-builder.ts';
import { assertAllowed, assertDenied } from '../../support/verdicts.ts';

const v7 = roomVersion('7')!;
const v10 = roomVersion('10')!;
const ALICE = '@alice:a';
const BOB = '@bob:b';

const tuples = (pairs: [string, string][]) => pairs.map(([type, stateKey]) => ({ type, stateKey }));
const BASE: [string, string][] = [
  ['m.room.create', ''],
  ['m.room.power_levels', ''],
];

describe('authEventTypesFor (spec: auth events selection)', () => {
  test('the create event has none', () => {
    assert.deepEqual(
      authEventTypesFor({ type: 'm.room.create', sender: ALICE, state_key: '', content: {} }, v10),
      [],
    );
  });

  test('other events: create, power levels and the sender’s membership', () => {
    const message = { type: 'm.room.message', sender: BOB, content: {} };
    assert.deepEqual(authEventTypesFor(message, v10), tuples([...BASE, ['m.room.member', BOB]]));
  });

  test('joins, invites and knocks add the target and the join rules; leaves only the target', () => {
    for (const membership of ['join', 'invite', 'knock']) {
      const event = { type: 'm.room.member', sender: ALICE, state_key: BOB, content: { membership } };
      assert.deepEqual(
        authEventTypesFor(event, v10),
        tuples([...BASE, ['m.room.member', ALICE], ['m.room.member', BOB], ['m.room.join_rules', '']]),
      );
    }
    const leave = { type: 'm.room.member', sender: BOB, state_key: BOB, content: { membership: 'leave' } };
    assert.deepEqual(authEventTypesFor(leave, v10), tuples([...BASE, ['m.room.member', BOB]]));
  });

  test('third-party invites add the m.room.third_party_invite named by the token', () => {
    const content = { membership: 'invite', third_party_invite: { signed: { mxid: BOB, token: 'tok' } } };
    const event = { type: 'm.room.member', sender: ALICE, state_key: BOB, content };
    assert.deepEqual(authEventTypesFor(event, v10).at(-1), {
      type: 'm.room.third_party_invite',
      stateKey: 'tok',
    });
  });

  test('restricted joins add the authorising user’s membership where the version has them', () => {
    const content = { membership: 'join', join_authorised_via_users_server: ALICE };
    const event = { type: 'm.room.member', sender: BOB, state_key: BOB, content };
    assert.deepEqual(authEventTypesFor(event, v10).at(-1), { type: 'm.room.member', stateKey: ALICE });
    assert.deepEqual(authEventTypesFor(event, v7).at(-1), { type: 'm.room.join_rules', stateKey: '' });
  });
});

describe('checkAuthEventsSelection (rule 2)', () => {
  function setup() {
    const room = new RoomBuilder({ creator: ALICE });
    room.join(BOB);
    const message = room.build({ type: 'm.room.message', sender: BOB, content: {} });
    return { room, message };
  }
  const withAuth = (event: RoomEvent, authEvents: RoomEvent[]) => ({
    ...event,
    auth_events: authEvents.map((e) => e.event_id),
  });

  test('the builder’s selection passes', () => {
    const { room, message } = setup();
    assertAllowed(checkAuthEventsSelection(message, room.authEventsOf(message), room.version));
  });

  test('the create event passes whatever it cites (rule 1 comes first)', () => {
    const { room } = setup();
    assertAllowed(checkAuthEventsSelection(room.create, [], room.version));
  });

  test('2.1: two events for one (type, state_key)', () => {
    const { room, message } = setup();
    const newPl = room.setPowerLevels(ALICE, room.powerLevelsContent());
    const event = withAuth(message, [...room.authEventsOf(message), newPl]);
    assertDenied(checkAuthEventsSelection(event, room.authEventsOf(event), room.version), '2.1');
  });

  test('2.2: an event the selection does not ask for', () => {
    const { room, message } = setup();
    const joinRules = room.stateLookup()('m.room.join_rules', '')!;
    const event = withAuth(message, [...room.authEventsOf(message), joinRules]);
    assertDenied(checkAuthEventsSelection(event, room.authEventsOf(event), room.version), '2.2');
  });

  test('2.3: a rejected auth event', () => {
    const { room, message } = setup();
    const pl = room.stateLookup()('m.room.power_levels', '')!.event_id;
    const verdict = checkAuthEventsSelection(
      message,
      room.authEventsOf(message),
      room.version,
      (id) => id === pl,
    );
    assertDenied(verdict, '2.3');
  });

  test('2.4: no create event', () => {
    const { room, message } = setup();
    const event = withAuth(
      message,
      room.authEventsOf(message).filter((e) => e.type !== 'm.room.create'),
    );
    assertDenied(checkAuthEventsSelection(event, room.authEventsOf(event), room.version), '2.4');
  });

  test('2.5: an auth event from another room', () => {
    const { room, message } = setup();
    const foreign = room
      .authEventsOf(message)
      .map((e) => (e.type === 'm.room.power_levels' ? { ...e, room_id: '!x:x' } : e));
    assertDenied(checkAuthEventsSelection(message, foreign, room.version), '2.5');
  });

  test('2: every cited event must be provided', () => {
    const { room, message } = setup();
    assertDenied(checkAuthEventsSelection(message, room.authEventsOf(message).slice(1), room.version), '2');
  });
});
