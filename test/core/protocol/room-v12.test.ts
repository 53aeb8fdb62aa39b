// Room version 12 (spec v1.16 rooms/v12; MSC4289, MSC4291): the room id is the
// create event's hash, the create event is implied rather than cited, and the
// creators (sender and additional_creators) have infinite power that power
// levels can neither list nor take away.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { authEventIdsOf, checkAuthEventsSelection } from '../../../src/core/protocol/auth-events.ts';
import { checkAuth } from '../../../src/core/protocol/auth-rules.ts';
import { validatePdu } from '../../../src/core/protocol/event-format.ts';
import { pduFromRoomEvent, roomEventFromPdu, signEvent } from '../../../src/core/protocol/event-hashing.ts';
import { createEventIdOfRoom, isHashRoomId } from '../../../src/core/protocol/identifiers.ts';
import { redactEvent } from '../../../src/core/protocol/redaction.ts';
import {
  CREATOR_POWER_LEVEL,
  roomCreators,
  userPowerLevel,
} from '../../../src/core/protocol/power-levels.ts';
import { roomVersion } from '../../../src/core/protocol/room-version.ts';
import type { Pdu, RoomEvent } from '../../../src/core/protocol/types.ts';
import { RoomBuilder } from '../../support/room-builder.ts';
import { assertAllowed, assertDenied } from '../../support/verdicts.ts';
import { signerFor } from '../../support/ed25519.ts';

const v12 = roomVersion('12')!;
const ALICE = '@alice:a';
const BOB = '@bob:b';
const CAROL = '@carol:c';
const MALLORY = '@mallory:m';

/** Alice created the room; Bob is an admin through power levels, Carol a member. */
function room(createContent = {}) {
  const r = new RoomBuilder({
    version: '12',
    creator: ALICE,
    createContent,
    powerLevels: { users: { [BOB]: 100 } },
  });
  r.join(BOB);
  r.join(CAROL);
  return r;
}

function check(r: RoomBuilder, event: RoomEvent) {
  return checkAuth(event, r.stateLookup(), r.version);
}

describe('v12: the room id is the create event’s hash', () => {
  const seed = new Uint8Array(32).fill(7);
  const server = 'a';
  const unsigned = {
    sender: ALICE,
    type: 'm.room.create',
    state_key: '',
    content: { room_version: '12' },
    origin_server_ts: 1_700_000_000_000,
    prev_events: [],
    auth_events: [],
    depth: 1,
  };

  test('a signed create event has no room_id; its id with ! names the room', async () => {
    const pdu = (await signEvent(unsigned, signerFor(server, seed, 'ed25519:p2p'), v12)) as unknown as Pdu;
    assert.equal(Object.hasOwn(pdu, 'room_id'), false);
    assert.deepEqual(validatePdu(pdu, v12), { ok: true });
    const event = await roomEventFromPdu(pdu, v12);
    assert.equal(event.room_id, `!${event.event_id.slice(1)}`);
    assert.ok(isHashRoomId(event.room_id));
    assert.equal(createEventIdOfRoom(event.room_id), event.event_id);
    // The local copy carries the room id; the wire form (and so the hash) does not.
    assert.equal(Object.hasOwn(pduFromRoomEvent(event, v12), 'room_id'), false);
    assertAllowed(checkAuth(event, () => undefined, v12));
  });

  test('a room id put into the local copy by someone else does not change the event id', async () => {
    const pdu = (await signEvent(unsigned, signerFor(server, seed, 'ed25519:p2p'), v12)) as unknown as Pdu;
    const event = await roomEventFromPdu(pdu, v12);
    const forged = { ...event, room_id: '!AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' };
    assertDenied(
      checkAuth(forged, () => undefined, v12),
      '1.2',
    );
  });

  test('1.2: a create event that carries a room_id is refused', async () => {
    const pdu = await signEvent(
      { ...unsigned, room_id: '!x:a' },
      signerFor(server, seed, 'ed25519:p2p'),
      v12,
    );
    // signEvent leaves it out, as the spec wants; one added afterwards is refused.
    const withRoomId = { ...pdu, room_id: '!x:a' };
    const verdict = validatePdu(withRoomId, v12);
    assert.equal(verdict.ok, false);
    assert.match((verdict as { reason: string }).reason, /room_id must be absent/);
  });

  test('other events must use the hash room id, not !opaque:server', () => {
    const r = room();
    const message = pduFromRoomEvent(r.message(BOB), v12);
    const bad = validatePdu({ ...message, room_id: '!room:a', hashes: { sha256: 'x' } }, v12);
    assert.equal(bad.ok, false);
    assert.match((bad as { reason: string }).reason, /url-safe/);
    // The same shape is fine in v11.
    assert.equal(isHashRoomId('!room:a'), false);
  });

  test('redaction keeps the whole create content (additional_creators included), as in v11', () => {
    const r = room({ additional_creators: [CAROL] });
    const redacted = redactEvent(r.create, v12);
    assert.deepEqual(redacted.content, r.create.content);
  });
});

describe('v12: the create event is implied, never cited', () => {
  test('auth events selection leaves the create event out', () => {
    const r = room();
    const message = r.build({ type: 'm.room.message', sender: BOB, content: {} });
    assert.equal(message.auth_events.includes(r.create.event_id), false);
    assert.deepEqual(authEventIdsOf(message, v12).at(-1), r.create.event_id);
    assertAllowed(checkAuthEventsSelection(message, r.authEventsOf(message), v12));
    assertAllowed(checkAuth(message, r.authEventsLookup(message), v12));
  });

  test('3.2: citing the create event is rejected', () => {
    const r = room();
    const message = r.build({ type: 'm.room.message', sender: BOB, content: {} });
    const citing = { ...message, auth_events: [...message.auth_events, r.create.event_id] };
    assertDenied(checkAuthEventsSelection(citing, r.authEventsOf(message), v12), '2.2');
  });

  test('2: the room id must name a create event that was provided and accepted', () => {
    const r = room();
    const message = r.build({ type: 'm.room.message', sender: BOB, content: {} });
    const withoutCreate = r.authEventsOf(message).filter((e) => e.type !== 'm.room.create');
    assertDenied(checkAuthEventsSelection(message, withoutCreate, v12), '2');
    const rejected = (id: string) => id === r.create.event_id;
    assertDenied(checkAuthEventsSelection(message, r.authEventsOf(message), v12, rejected), '2');
  });

  test('2: an event whose room id names another create event is rejected', () => {
    const r = room();
    const message = r.build({ type: 'm.room.message', sender: BOB, content: {} });
    // The state offered holds another create event (Mallory's) under the expected key.
    const forged = { ...r.create, sender: MALLORY, event_id: '$0099_create' };
    const lookup = (type: string, key: string) =>
      type === 'm.room.create' ? forged : r.stateLookup()(type, key);
    assertDenied(checkAuth(message, lookup, v12), '2');
  });
});

describe('v12: creators have infinite power', () => {
  test('the sender and additional_creators are the creators, with infinite power', () => {
    const r = room({ additional_creators: [CAROL] });
    assert.deepEqual([...roomCreators(r.create, v12)], [ALICE, CAROL]);
    const pl = r.state.get('m.room.power_levels\u0000');
    assert.equal(userPowerLevel(ALICE, pl, r.create), CREATOR_POWER_LEVEL);
    assert.equal(userPowerLevel(CAROL, pl, r.create), CREATOR_POWER_LEVEL);
    assert.equal(userPowerLevel(BOB, pl, r.create), 100);
    assert.equal(userPowerLevel(MALLORY, pl, r.create), 0);
    // Before v12 the creator is only what the power levels say.
    assert.equal(roomCreators(r.create, roomVersion('11')!).size, 0);
  });

  test('without power levels the creator is still infinite, everyone else 0', () => {
    const r = new RoomBuilder({ version: '12', creator: ALICE, powerLevels: null });
    r.join(BOB);
    assert.equal(userPowerLevel(ALICE, undefined, r.create), CREATOR_POWER_LEVEL);
    assert.equal(userPowerLevel(BOB, undefined, r.create), 0);
    assertAllowed(check(r, r.buildMember(ALICE, BOB, 'ban')));
    assertDenied(check(r, r.buildMember(BOB, ALICE, 'ban')), '4.6.3');
  });

  test('an admin from the power levels can neither kick nor ban the creator', () => {
    const r = room();
    assertDenied(check(r, r.buildMember(BOB, ALICE, 'leave')), '4.5.5');
    assertDenied(check(r, r.buildMember(BOB, ALICE, 'ban')), '4.6.3');
    // The creator may kick and ban that admin.
    assertAllowed(check(r, r.buildMember(ALICE, BOB, 'leave')));
    assertAllowed(check(r, r.buildMember(ALICE, BOB, 'ban')));
  });

  test('creators cannot kick or ban each other', () => {
    const r = room({ additional_creators: [CAROL] });
    assertDenied(check(r, r.buildMember(ALICE, CAROL, 'leave')), '4.5.5');
    assertDenied(check(r, r.buildMember(CAROL, ALICE, 'ban')), '4.6.3');
  });

  test('an additional creator passes every power check without being listed', () => {
    const r = room({ additional_creators: [CAROL] });
    const content = { ...r.powerLevelsContent(), ban: 1000, state_default: 1000 };
    assertAllowed(check(r, r.build({ type: 'm.room.power_levels', sender: CAROL, stateKey: '', content })));
    assertAllowed(check(r, r.buildMember(CAROL, BOB, 'ban')));
  });

  test('10.4: power levels may not list a creator, to demote or to promote', () => {
    const r = room({ additional_creators: [CAROL] });
    for (const [who, level] of [
      [ALICE, 0],
      [ALICE, 100],
      [CAROL, 50],
    ] as const) {
      const content = { ...r.powerLevelsContent(), users: { [BOB]: 100, [who]: level } };
      const pl = r.build({ type: 'm.room.power_levels', sender: ALICE, stateKey: '', content });
      assertDenied(check(r, pl), '10.4');
    }
  });

  test('the power levels that create the room may not list the creator either', () => {
    const r = new RoomBuilder({ version: '12', creator: ALICE, powerLevels: null });
    const pl = r.build({
      type: 'm.room.power_levels',
      sender: ALICE,
      stateKey: '',
      content: { users: { [ALICE]: 100 } },
    });
    assertDenied(check(r, pl), '10.4');
  });

  test('an admin cannot demote another admin of equal level, and cannot raise above their own', () => {
    const r = room();
    r.setPowerLevels(ALICE, { ...r.powerLevelsContent(), users: { [BOB]: 100, [CAROL]: 100 } });
    const demote = { ...r.powerLevelsContent(), users: { [BOB]: 100, [CAROL]: 0 } };
    assertDenied(
      check(r, r.build({ type: 'm.room.power_levels', sender: BOB, stateKey: '', content: demote })),
      '9.8.1',
    );
    assertAllowed(
      check(r, r.build({ type: 'm.room.power_levels', sender: ALICE, stateKey: '', content: demote })),
    );
  });

  test('an additional creator still joins by the join rules', () => {
    const r = new RoomBuilder({
      version: '12',
      creator: ALICE,
      createContent: { additional_creators: [BOB] },
      joinRule: 'invite',
    });
    assertDenied(check(r, r.buildMember(BOB, BOB, 'join')), '4.3.4');
  });

  test('1.4: additional_creators must be a list of user ids', () => {
    for (const bad of ['@bob:b', [42], ['bob'], [null], { 0: BOB }]) {
      const r = new RoomBuilder({
        version: '12',
        creator: ALICE,
        createContent: { additional_creators: bad },
      });
      assertDenied(
        checkAuth(r.create, () => undefined, v12),
        '1.4',
      );
    }
    // Before v12 the field means nothing.
    const v11 = new RoomBuilder({
      version: '11',
      creator: ALICE,
      createContent: { additional_creators: 'x' },
    });
    assertAllowed(checkAuth(v11.create, () => undefined, v11.version));
  });
});
