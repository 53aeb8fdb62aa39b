import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { redactedEventId, redactionApplies } from '../../../src/core/protocol/redaction-handling.ts';
import type { RoomEvent } from '../../../src/core/protocol/types.ts';
import { RoomBuilder } from '../../support/room-builder.ts';
import { assertAllowed } from '../../support/verdicts.ts';

const ALICE = '@alice:a';
const BOB = '@bob:b';

function redaction(room: RoomBuilder, sender: string, target: RoomEvent): RoomEvent {
  return room.buildRedaction(sender, target.event_id);
}

describe('handling redactions (rooms v3+)', () => {
  for (const version of ['10', '11', '12']) {
    test(`v${version}: reads redacts from ${version === '10' ? 'the top level' : 'content'}`, () => {
      const room = new RoomBuilder({ version, creator: ALICE });
      const target = room.message(ALICE);
      assert.equal(redactedEventId(redaction(room, ALICE, target), room.version), target.event_id);
    });

    test(`v${version}: applies for senders at the redact level or on the original sender's server`, () => {
      const room = new RoomBuilder({ version, creator: ALICE });
      room.join(BOB);
      room.join('@bob2:b');
      const fromAlice = room.message(ALICE);
      const fromBob = room.message(BOB);
      const state = room.stateLookup();
      assert.equal(
        redactionApplies(redaction(room, BOB, fromAlice), fromAlice, state, room.version).ok,
        false,
      );
      assertAllowed(redactionApplies(redaction(room, BOB, fromBob), fromBob, state, room.version));
      assertAllowed(redactionApplies(redaction(room, '@bob2:b', fromBob), fromBob, state, room.version));
      assertAllowed(redactionApplies(redaction(room, ALICE, fromBob), fromBob, state, room.version));
    });
  }

  test('v12: a creator, in no power levels, may redact anyone’s event; a power-levels admin too', () => {
    const room = new RoomBuilder({ version: '12', creator: ALICE, powerLevels: { users: { [BOB]: 50 } } });
    room.join(BOB);
    room.join('@carol:c');
    const fromCarol = room.message('@carol:c');
    const state = room.stateLookup();
    assertAllowed(redactionApplies(redaction(room, ALICE, fromCarol), fromCarol, state, room.version));
    assertAllowed(redactionApplies(redaction(room, BOB, fromCarol), fromCarol, state, room.version));
    const fromAlice = room.message(ALICE);
    assertAllowed(redactionApplies(redaction(room, BOB, fromAlice), fromAlice, state, room.version));
  });

  test('v11 ignores a top-level redacts', () => {
    const room = new RoomBuilder({ version: '11', creator: ALICE });
    const target = room.message(ALICE);
    const old = room.build({
      type: 'm.room.redaction',
      sender: ALICE,
      content: {},
      extra: { redacts: target.event_id },
    });
    assert.equal(redactedEventId(old, room.version), undefined);
    assert.equal(redactionApplies(old, target, room.stateLookup(), room.version).ok, false);
  });
});
