// State resolution v2.1 (room version 12, MSC4297) against state resets. The
// two cases are MSC4297's problems A and B: a peer answers /state_ids with an
// old event (or is simply behind), and the other state sets' auth chains say
// what really happened. v11's v2 resets the room; v12's v2.1 does not.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  EventLoader,
  conflictedSubgraph,
  resolveStateV2,
} from '../../../src/core/protocol/state-resolution.ts';
import {
  type JsonObject,
  type RoomEvent,
  type StateKey,
  stateKeyOf,
} from '../../../src/core/protocol/types.ts';
import { RoomBuilder } from '../../support/room-builder.ts';

const CREATOR = '@creator:c';
const ALICE = '@alice:a';
const BOB = '@bob:b';
const CHARLIE = '@charlie:d';

const JOIN_RULES = stateKeyOf('m.room.join_rules', '');
const POWER_LEVELS = stateKeyOf('m.room.power_levels', '');

/** Alice is an admin; before v12 the creator is listed too (from v12 it may not be). */
function adminsFor(version: string): JsonObject {
  return version === '12' ? { [ALICE]: 100 } : { [CREATOR]: 100, [ALICE]: 100 };
}

function providerOf(room: RoomBuilder) {
  return { getEvent: async (id: string): Promise<RoomEvent | undefined> => room.events.get(id) };
}

function ids(state: ReadonlyMap<StateKey, RoomEvent>): Map<StateKey, string> {
  return new Map([...state].map(([key, event]) => [key, event.event_id]));
}

/**
 * Problem A. Alice, an admin, sets the join rules twice and then leaves. A
 * peer's state still has her first join rules (an old event), but agrees she
 * left. The two join rules events conflict; starting from the unconflicted
 * state (Alice gone) both fail, and the room loses its join rules.
 */
function problemA(version: string) {
  const admins = adminsFor(version);
  const room = new RoomBuilder({ version, creator: CREATOR, joinRule: null, powerLevels: { users: admins } });
  room.join(ALICE);
  const first = room.setJoinRule(ALICE, 'public');
  const second = room.setJoinRule(ALICE, 'invite');
  room.leave(ALICE);
  const truth = ids(room.state);
  const stale = new Map(truth).set(JOIN_RULES, first.event_id);
  return { room, truth, stale, second };
}

/**
 * Problem B. Bob promotes Charlie after Alice promoted Bob; Charlie then sets
 * the topic. A peer's state has the power levels from before both promotions,
 * yet Charlie's topic (whose auth chain holds both) is in both states, so the
 * auth difference misses Bob's promotion and Charlie's fails against the old levels.
 */
function problemB(version: string) {
  const admins = adminsFor(version);
  const room = new RoomBuilder({ version, creator: CREATOR, powerLevels: { users: admins } });
  room.join(ALICE);
  room.join(BOB);
  room.join(CHARLIE);
  const old = room.setPowerLevels(ALICE, { ...room.powerLevelsContent(), users: { ...admins } });
  const promoteBob = room.setPowerLevels(ALICE, {
    ...room.powerLevelsContent(),
    users: { ...admins, [BOB]: 100 },
  });
  const promoteCharlie = room.setPowerLevels(BOB, {
    ...room.powerLevelsContent(),
    users: { ...admins, [BOB]: 100, [CHARLIE]: 100 },
  });
  room.event({ type: 'm.room.topic', sender: CHARLIE, stateKey: '', content: { topic: 'mine now' } });
  const truth = ids(room.state);
  const stale = new Map(truth).set(POWER_LEVELS, old.event_id);
  return { room, truth, stale, old, promoteBob, promoteCharlie };
}

describe('state resolution v2.1 (room version 12): state resets', () => {
  test('problem A: v11 loses the join rules; v12 keeps the latest', async () => {
    const v11 = problemA('11');
    const reset = await resolveStateV2([v11.truth, v11.stale], providerOf(v11.room), v11.room.version);
    assert.equal(reset.get(JOIN_RULES), undefined, 'v11 resets the join rules (the behaviour v12 fixes)');

    const v12 = problemA('12');
    const resolved = await resolveStateV2([v12.truth, v12.stale], providerOf(v12.room), v12.room.version);
    assert.equal(resolved.get(JOIN_RULES), v12.second.event_id);
    assert.deepEqual(resolved, v12.truth);
  });

  test('problem B: v11 undoes the promotions; v12 keeps them', async () => {
    const v11 = problemB('11');
    const reset = await resolveStateV2([v11.truth, v11.stale], providerOf(v11.room), v11.room.version);
    assert.equal(reset.get(POWER_LEVELS), v11.old.event_id, 'v11 falls back to the old power levels');

    const v12 = problemB('12');
    for (const sets of [
      [v12.truth, v12.stale],
      [v12.stale, v12.truth],
    ]) {
      const resolved = await resolveStateV2(sets, providerOf(v12.room), v12.room.version);
      assert.equal(resolved.get(POWER_LEVELS), v12.promoteCharlie.event_id);
      assert.deepEqual(resolved, v12.truth);
    }
  });

  test('the conflicted state subgraph holds the events between conflicted ones, endpoints included', async () => {
    const { room, old, promoteBob, promoteCharlie } = problemB('12');
    const loader = new EventLoader(providerOf(room), room.version);
    const subgraph = await conflictedSubgraph(new Set([old.event_id, promoteCharlie.event_id]), loader);
    assert.deepEqual(
      [...subgraph].sort(),
      [old.event_id, promoteBob.event_id, promoteCharlie.event_id].sort(),
      'the path Charlie’s promotion → Bob’s → the old levels, nothing else (not the create event or joins)',
    );
  });

  test('a hostile peer’s forged state (the creator kicked by an admin) stays out', async () => {
    const room = new RoomBuilder({
      version: '12',
      creator: CREATOR,
      powerLevels: { users: { [ALICE]: 100 } },
    });
    room.join(ALICE);
    const truth = ids(room.state);
    // Alice's kick of the creator fails auth (creators have infinite power); a
    // peer claims it is the state anyway.
    const kick = room.member(ALICE, CREATOR, 'leave');
    const forged = ids(room.state);
    const resolved = await resolveStateV2([truth, forged], providerOf(room), room.version);
    assert.equal(
      resolved.get(stateKeyOf('m.room.member', CREATOR)),
      truth.get(stateKeyOf('m.room.member', CREATOR)),
    );
    assert.notEqual(resolved.get(stateKeyOf('m.room.member', CREATOR)), kick.event_id);
  });
});
