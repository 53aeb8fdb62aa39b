import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { roomVersion } from '../../../src/core/protocol/room-version.ts';
import {
  EventLoader,
  authDifference,
  mainlineOrder,
  resolveStateV2,
  reverseTopologicalPowerOrder,
  separateState,
} from '../../../src/core/protocol/state-resolution.ts';
import {
  type JsonObject,
  type RoomEvent,
  type StateKey,
  stateKeyOf,
} from '../../../src/core/protocol/types.ts';
import { RoomBuilder } from '../../support/room-builder.ts';
import { type DagNode, StateDag } from '../../support/state-dag.ts';

const ALICE = '@alice:example.com';
const BOB = '@bob:example.com';
const CHARLIE = '@charlie:example.com';
const EVELYN = '@evelyn:example.com';
const ZARA = '@zara:example.com';

const PL = 'm.room.power_levels';
const TOPIC = 'm.room.topic';
const MEMBER = 'm.room.member';

const state = (type: string, content: JsonObject = {}) => ({ type, stateKey: '', content });
const powerLevels = (users: JsonObject, extra: JsonObject = {}) => state(PL, { users, ...extra });
const member = (sender: string, target: string, membership: string): Omit<DagNode, 'name'> => ({
  type: MEMBER,
  sender,
  stateKey: target,
  content: { membership },
});

/**
 * The room every Synapse test_v2.py scenario starts from: Alice creates it with herself at
 * 100, makes it public, Bob, Charlie and Zara join, Zara says something (START).
 */
async function synapseRoom(): Promise<StateDag> {
  const room = new RoomBuilder({ version: '10', creator: ALICE, powerLevels: null, joinRule: null });
  const dag = new StateDag(room);
  dag.adopt('CREATE', room.create);
  dag.adopt('IMA', room.state.get(stateKeyOf(MEMBER, ALICE))!);
  await dag.grow(
    [
      { name: 'IPOWER', sender: ALICE, ...powerLevels({ [ALICE]: 100 }) },
      { name: 'IJR', sender: ALICE, ...state('m.room.join_rules', { join_rule: 'public' }) },
      { name: 'IMB', ...member(BOB, BOB, 'join') },
      { name: 'IMC', ...member(CHARLIE, CHARLIE, 'join') },
      { name: 'IMZ', ...member(ZARA, ZARA, 'join') },
      { name: 'START', type: 'm.room.message', sender: ZARA, content: {} },
    ],
    [['START', 'IMZ', 'IMC', 'IMB', 'IJR', 'IPOWER', 'IMA']],
  );
  return dag;
}

/**
 * Synapse's check: grows `nodes` plus an END message after the given edges and returns the
 * state at END that differs from START, as "type state_key" → event name.
 */
async function changedAtEnd(nodes: DagNode[], edges: string[][]): Promise<Record<string, string>> {
  const dag = await synapseRoom();
  await dag.grow([...nodes, { name: 'END', type: 'm.room.message', sender: ZARA, content: {} }], edges);
  const start = dag.stateAfter('START');
  const changed: Record<string, string> = {};
  for (const [key, id] of dag.stateAfter('END')) {
    if (start.get(key) !== id) changed[readable(key)] = id.slice(1);
  }
  return changed;
}

function readable(key: StateKey): string {
  return key.replace('\u0000', ' ');
}

describe('state resolution v2: Synapse test_v2.py scenarios', () => {
  test('ban vs power levels: the ban by the admin wins over the banned user changing power levels', async () => {
    const changed = await changedAtEnd(
      [
        { name: 'PA', sender: ALICE, ...powerLevels({ [ALICE]: 100, [BOB]: 50 }) },
        { name: 'MA', ...member(ALICE, ALICE, 'join') },
        { name: 'MB', ...member(ALICE, BOB, 'ban') },
        { name: 'PB', sender: BOB, ...powerLevels({ [ALICE]: 100, [BOB]: 50 }) },
      ],
      [
        ['END', 'MB', 'MA', 'PA', 'START'],
        ['END', 'PB', 'PA'],
      ],
    );
    assert.deepEqual(changed, { [`${PL} `]: 'PA', [`${MEMBER} ${ALICE}`]: 'MA', [`${MEMBER} ${BOB}`]: 'MB' });
  });

  test('join rule evasion: a join concurrent with closing the room is not let in', async () => {
    const changed = await changedAtEnd(
      [
        { name: 'JR', sender: ALICE, ...state('m.room.join_rules', { join_rule: 'invite' }) },
        { name: 'ME', ...member(EVELYN, EVELYN, 'join') },
      ],
      [
        ['END', 'JR', 'START'],
        ['END', 'ME', 'START'],
      ],
    );
    assert.deepEqual(changed, { 'm.room.join_rules ': 'JR' });
  });

  test('offtopic power levels: a chain of delegated power level changes is kept', async () => {
    const changed = await changedAtEnd(
      [
        { name: 'PA', sender: ALICE, ...powerLevels({ [ALICE]: 100, [BOB]: 50 }) },
        { name: 'PB', sender: BOB, ...powerLevels({ [ALICE]: 100, [BOB]: 50, [CHARLIE]: 50 }) },
        { name: 'PC', sender: CHARLIE, ...powerLevels({ [ALICE]: 100, [BOB]: 50, [CHARLIE]: 0 }) },
      ],
      [
        ['END', 'PC', 'PB', 'PA', 'START'],
        ['END', 'PA'],
      ],
    );
    assert.deepEqual(changed, { [`${PL} `]: 'PC' });
  });

  test('topic basic: a demoted user cannot keep their topic or their power levels', async () => {
    const changed = await changedAtEnd(
      [
        { name: 'T1', sender: ALICE, ...state(TOPIC) },
        { name: 'PA1', sender: ALICE, ...powerLevels({ [ALICE]: 100, [BOB]: 50 }) },
        { name: 'T2', sender: ALICE, ...state(TOPIC) },
        { name: 'PA2', sender: ALICE, ...powerLevels({ [ALICE]: 100, [BOB]: 0 }) },
        { name: 'PB', sender: BOB, ...powerLevels({ [ALICE]: 100, [BOB]: 50 }) },
        { name: 'T3', sender: BOB, ...state(TOPIC) },
      ],
      [
        ['END', 'PA2', 'T2', 'PA1', 'T1', 'START'],
        ['END', 'T3', 'PB', 'PA1'],
      ],
    );
    assert.deepEqual(changed, { [`${PL} `]: 'PA2', [`${TOPIC} `]: 'T2' });
  });

  test('topic reset: banning a user resets the topic they set', async () => {
    const changed = await changedAtEnd(
      [
        { name: 'T1', sender: ALICE, ...state(TOPIC) },
        { name: 'PA', sender: ALICE, ...powerLevels({ [ALICE]: 100, [BOB]: 50 }) },
        { name: 'T2', sender: BOB, ...state(TOPIC) },
        { name: 'MB', ...member(ALICE, BOB, 'ban') },
      ],
      [
        ['END', 'MB', 'T2', 'PA', 'T1', 'START'],
        ['END', 'T1'],
      ],
    );
    assert.deepEqual(changed, { [`${TOPIC} `]: 'T1', [`${MEMBER} ${BOB}`]: 'MB', [`${PL} `]: 'PA' });
  });

  test('topic: a topic sent after a merge of a demotion is kept', async () => {
    const changed = await changedAtEnd(
      [
        { name: 'T1', sender: ALICE, ...state(TOPIC) },
        { name: 'PA1', sender: ALICE, ...powerLevels({ [ALICE]: 100, [BOB]: 50 }) },
        { name: 'T2', sender: ALICE, ...state(TOPIC) },
        { name: 'PA2', sender: ALICE, ...powerLevels({ [ALICE]: 100, [BOB]: 0 }) },
        { name: 'PB', sender: BOB, ...powerLevels({ [ALICE]: 100, [BOB]: 50 }) },
        { name: 'T3', sender: BOB, ...state(TOPIC) },
        { name: 'MZ1', type: 'm.room.message', sender: ZARA, content: {} },
        { name: 'T4', sender: ALICE, ...state(TOPIC) },
      ],
      [
        ['END', 'T4', 'MZ1', 'PA2', 'T2', 'PA1', 'T1', 'START'],
        ['END', 'MZ1', 'T3', 'PB', 'PA1'],
      ],
    );
    assert.deepEqual(changed, { [`${TOPIC} `]: 'T4', [`${PL} `]: 'PA2' });
  });

  test('mainline sort: the topic based on the newest power levels wins over a later one', async () => {
    const changed = await changedAtEnd(
      [
        { name: 'T1', sender: ALICE, ...state(TOPIC) },
        { name: 'PA1', sender: ALICE, ...powerLevels({ [ALICE]: 100, [BOB]: 50 }) },
        { name: 'T2', sender: ALICE, ...state(TOPIC) },
        {
          name: 'PA2',
          sender: ALICE,
          ...powerLevels({ [ALICE]: 100, [BOB]: 50 }, { events: { [PL]: 100 } }),
        },
        { name: 'PB', sender: BOB, ...powerLevels({ [ALICE]: 100, [BOB]: 50 }) },
        { name: 'T3', sender: BOB, ...state(TOPIC) },
        { name: 'T4', sender: ALICE, ...state(TOPIC) },
      ],
      [
        ['END', 'T3', 'PA2', 'T2', 'PA1', 'T1', 'START'],
        ['END', 'T4', 'PB', 'PA1'],
      ],
    );
    assert.deepEqual(changed, { [`${TOPIC} `]: 'T3', [`${PL} `]: 'PA2' });
  });

  test('power level reset: a demoted moderator cannot hand out power concurrently', async () => {
    const changed = await changedAtEnd(
      [
        { name: 'PA', sender: ALICE, ...powerLevels({ [ALICE]: 100, [BOB]: 50 }) },
        { name: 'PA2', sender: ALICE, ...powerLevels({ [ALICE]: 100, [BOB]: 0 }) },
        { name: 'PB', sender: BOB, ...powerLevels({ [ALICE]: 100, [BOB]: 50, [CHARLIE]: 50 }) },
        { name: 'TC', sender: CHARLIE, ...state(TOPIC) },
      ],
      [
        ['END', 'PA2', 'PA', 'START'],
        ['END', 'TC', 'PB', 'PA'],
      ],
    );
    assert.deepEqual(changed, { [`${PL} `]: 'PA2' });
  });
});

/** A linear v10 room: Alice (100) creates it public, Bob joins. */
function smallRoom(): RoomBuilder {
  const room = new RoomBuilder({ creator: ALICE });
  room.join(BOB);
  return room;
}

function idsOf(state: ReadonlyMap<StateKey, RoomEvent>): Map<StateKey, string> {
  return new Map([...state].map(([key, event]) => [key, event.event_id]));
}

function providerOf(events: Iterable<RoomEvent>): { getEvent(id: string): Promise<RoomEvent | undefined> } {
  const byId = new Map([...events].map((e) => [e.event_id, e]));
  return { getEvent: async (id) => byId.get(id) };
}

/** `base` with `event` as the value of its key. */
function withEvent(base: ReadonlyMap<StateKey, string>, event: RoomEvent): Map<StateKey, string> {
  return new Map(base).set(stateKeyOf(event.type, event.state_key!), event.event_id);
}

describe('state resolution v2: pieces', () => {
  test('separateState: a key missing from one state map is conflicted', () => {
    const topic = stateKeyOf(TOPIC, '');
    const name = stateKeyOf('m.room.name', '');
    const create = stateKeyOf('m.room.create', '');
    const { unconflicted, conflicted } = separateState([
      new Map([
        [create, '$c'],
        [topic, '$t1'],
        [name, '$n'],
      ]),
      new Map([
        [create, '$c'],
        [topic, '$t2'],
      ]),
    ]);
    assert.deepEqual(unconflicted, new Map([[create, '$c']]));
    assert.deepEqual(
      conflicted,
      new Map([
        [topic, new Set(['$t1', '$t2'])],
        [name, new Set(['$n'])],
      ]),
    );
  });

  test('authDifference: events in the auth chains of some state maps but not all', async () => {
    const room = smallRoom();
    const base = idsOf(room.state);
    const pa = room.build({
      type: PL,
      sender: ALICE,
      stateKey: '',
      content: { users: { [ALICE]: 100, [BOB]: 50 } },
    });
    room.append(pa);
    const topic = room.build({ type: TOPIC, sender: BOB, stateKey: '', content: { topic: 'b' } });
    const events = [...room.events.values(), topic];
    const difference = await authDifference(
      [withEvent(base, topic), base],
      new EventLoader(providerOf(events)),
    );
    // The topic cites PA; PA is in the second state map's chain neither as state nor as auth event.
    assert.deepEqual(difference, new Set([topic.event_id, pa.event_id]));
  });

  test('power events with equal sender power and timestamps sort by event id', async () => {
    const room = smallRoom();
    const ts = 1_800_000_000_000;
    const rules = ['$c', '$a', '$b'].map((id) =>
      room.build({
        type: 'm.room.join_rules',
        sender: ALICE,
        stateKey: '',
        content: { join_rule: 'invite' },
        ts,
        id,
      }),
    );
    const ids = rules.map((e) => e.event_id);
    const loader = new EventLoader(providerOf([...room.events.values(), ...rules]));
    const order = await reverseTopologicalPowerOrder(ids, new Set(ids), loader, room.version);
    assert.deepEqual(order, ['$a', '$b', '$c']);
  });

  test('power ordering puts the more powerful sender first, but never before an auth event', async () => {
    const room = smallRoom();
    room.setPowerLevels(ALICE, { users: { [ALICE]: 100, [BOB]: 50 } });
    const byBob = room.build({
      type: PL,
      sender: BOB,
      stateKey: '',
      content: { users: { [ALICE]: 100, [BOB]: 50 } },
      ts: 1,
      id: '$bob',
    });
    const byAlice = room.build({
      type: 'm.room.join_rules',
      sender: ALICE,
      stateKey: '',
      content: { join_rule: 'invite' },
      ts: 3,
      id: '$alice',
    });
    // Bob kicks citing the levels Bob just sent: earlier than them, yet it must come after them.
    const kick = room.build({
      type: MEMBER,
      sender: BOB,
      stateKey: CHARLIE,
      content: { membership: 'leave' },
      authEvents: [room.create.event_id, byBob.event_id],
      ts: 0,
      id: '$kick',
    });
    const ids = [kick.event_id, byBob.event_id, byAlice.event_id];
    const loader = new EventLoader(providerOf([...room.events.values(), byBob, byAlice, kick]));
    const order = await reverseTopologicalPowerOrder(ids, new Set(ids), loader, room.version);
    assert.deepEqual(order, ['$alice', '$bob', '$kick']);
  });

  test('mainline ordering: older power levels first, then timestamp, then event id', async () => {
    const room = smallRoom();
    const oldLevels = room.state.get(stateKeyOf(PL, ''))!;
    const newLevels = room.setPowerLevels(ALICE, { users: { [ALICE]: 100, [BOB]: 50 } });
    const topic = (id: string, ts: number, levels: RoomEvent) =>
      room.build({
        type: TOPIC,
        sender: ALICE,
        stateKey: '',
        content: {},
        ts,
        id,
        authEvents: [room.create.event_id, levels.event_id],
      });
    const topics = [
      topic('$new-late', 9, newLevels),
      topic('$new-b', 5, newLevels),
      topic('$new-a', 5, newLevels),
      topic('$old', 99, oldLevels),
    ];
    const loader = new EventLoader(providerOf([...room.events.values(), ...topics]));
    const order = await mainlineOrder(
      topics.map((t) => t.event_id),
      newLevels.event_id,
      loader,
    );
    assert.deepEqual(order, ['$old', '$new-a', '$new-b', '$new-late']);
  });
});

describe('state resolution v2: resolveStateV2', () => {
  test('state maps without conflicts resolve to their common state', async () => {
    const room = smallRoom();
    const base = idsOf(room.state);
    const resolved = await resolveStateV2([base, new Map(base)], providerOf([]), room.version);
    assert.deepEqual(resolved, base);
  });

  test('concurrent join rules by the same sender at the same time: the greater event id wins', async () => {
    const room = smallRoom();
    const base = idsOf(room.state);
    const rule = (id: string, joinRule: string) =>
      room.build({
        type: 'm.room.join_rules',
        sender: ALICE,
        stateKey: '',
        content: { join_rule: joinRule },
        ts: 7,
        id,
      });
    const [a, b] = [rule('$rule-b', 'invite'), rule('$rule-a', 'knock')];
    const provider = providerOf([...room.events.values(), a!, b!]);
    for (const sets of [
      [withEvent(base, a!), withEvent(base, b!)],
      [withEvent(base, b!), withEvent(base, a!)],
    ]) {
      const resolved = await resolveStateV2(sets, provider, room.version);
      assert.equal(resolved.get(stateKeyOf('m.room.join_rules', '')), '$rule-b');
    }
  });

  test('concurrent topics on the same power levels at the same time: the greater event id wins', async () => {
    const room = smallRoom();
    const base = idsOf(room.state);
    const topic = (id: string) =>
      room.build({ type: TOPIC, sender: ALICE, stateKey: '', content: { topic: id }, ts: 7, id });
    const [x, y] = [topic('$topic-y'), topic('$topic-x')];
    const resolved = await resolveStateV2(
      [withEvent(base, x!), withEvent(base, y!)],
      providerOf([...room.events.values(), x!, y!]),
      room.version,
    );
    assert.equal(resolved.get(stateKeyOf(TOPIC, '')), '$topic-y');
  });

  test('events the provider cannot return are skipped', async () => {
    const room = smallRoom();
    const base = idsOf(room.state);
    const known = room.build({ type: TOPIC, sender: ALICE, stateKey: '', content: { topic: 'known' } });
    const unknown = room.build({
      type: TOPIC,
      sender: ALICE,
      stateKey: '',
      content: { topic: 'gone' },
      ts: 9e12,
    });
    // A name citing an auth event nobody has: the missing one is skipped.
    const orphan = room.build({
      type: 'm.room.name',
      sender: ALICE,
      stateKey: '',
      content: { name: 'n' },
      authEvents: [
        room.create.event_id,
        base.get(stateKeyOf(PL, ''))!,
        base.get(stateKeyOf(MEMBER, ALICE))!,
        '$lost',
      ],
    });
    const resolved = await resolveStateV2(
      [withEvent(withEvent(base, known), orphan), withEvent(base, unknown)],
      providerOf([...room.events.values(), known, orphan]),
      room.version,
    );
    assert.equal(resolved.get(stateKeyOf(TOPIC, '')), known.event_id);
    assert.equal(resolved.get(stateKeyOf('m.room.name', '')), orphan.event_id);
  });

  test('rejected auth events are not used (the provider says which)', async () => {
    const room = smallRoom();
    const base = idsOf(room.state);
    // Bob's topic is only allowed by power levels that the provider reports as rejected.
    const levels = room.build({
      type: PL,
      sender: ALICE,
      stateKey: '',
      content: { users: { [ALICE]: 100, [BOB]: 50 } },
    });
    const topic = room.build({
      type: TOPIC,
      sender: BOB,
      stateKey: '',
      content: {},
      authEvents: [room.create.event_id, levels.event_id, base.get(stateKeyOf(MEMBER, BOB))!],
    });
    // Not in the state the topic is resolved against: the power levels come from its auth events.
    const withoutLevels = new Map(base);
    withoutLevels.delete(stateKeyOf(PL, ''));
    const sets = [withEvent(withoutLevels, topic), withoutLevels];
    const events = [...room.events.values(), levels, topic];
    const accepted = await resolveStateV2(sets, providerOf(events), room.version);
    assert.equal(accepted.get(stateKeyOf(TOPIC, '')), topic.event_id);
    const rejecting = { ...providerOf(events), isRejected: async (id: string) => id === levels.event_id };
    const rejected = await resolveStateV2(sets, rejecting, room.version);
    assert.equal(rejected.has(stateKeyOf(TOPIC, '')), false);
  });

  test('the unconflicted state map has the last word (step 5)', async () => {
    const room = smallRoom();
    const base = idsOf(room.state);
    const levels = (users: JsonObject, ts: number) =>
      room.build({ type: PL, sender: ALICE, stateKey: '', content: { users }, ts });
    // Two concurrent power levels: P1 gives Bob 50, P2 (later, and in both state maps) does not.
    const p1 = levels({ [ALICE]: 100, [BOB]: 50 }, 10);
    const p2 = levels({ [ALICE]: 100 }, 20);
    const topic = room.build({
      type: TOPIC,
      sender: BOB,
      stateKey: '',
      content: {},
      authEvents: [room.create.event_id, p1.event_id, base.get(stateKeyOf(MEMBER, BOB))!],
      ts: 30,
    });
    // P1 is in the auth difference through Bob's topic, and passes the iterative auth checks.
    const resolved = await resolveStateV2(
      [withEvent(withEvent(base, p2), topic), withEvent(base, p2)],
      providerOf([...room.events.values(), p1, p2, topic]),
      room.version,
    );
    assert.equal(resolved.get(stateKeyOf(PL, '')), p2.event_id);
    assert.equal(resolved.get(stateKeyOf(TOPIC, '')), topic.event_id);
  });

  test('room versions with state resolution v1 are refused', async () => {
    await assert.rejects(resolveStateV2([], providerOf([]), roomVersion('1')!), RangeError);
  });
});

describe('state resolution v2: convergence', () => {
  /** Three branches off START that conflict on power levels, join rules, membership and topic. */
  async function threeWayFork(): Promise<StateDag> {
    const dag = await synapseRoom();
    await dag.grow(
      [
        { name: 'PA', sender: ALICE, ...powerLevels({ [ALICE]: 100, [BOB]: 50 }) },
        { name: 'TA', sender: BOB, ...state(TOPIC, { topic: 'bob' }) },
        { name: 'JRA', sender: ALICE, ...state('m.room.join_rules', { join_rule: 'invite' }) },
        { name: 'KB', ...member(ALICE, CHARLIE, 'leave') },
        { name: 'TB', sender: ALICE, ...state(TOPIC, { topic: 'alice' }) },
        { name: 'EB', ...member(EVELYN, EVELYN, 'join') },
        { name: 'PC', sender: ALICE, ...powerLevels({ [ALICE]: 100, [ZARA]: 50 }) },
        { name: 'NC', sender: ZARA, ...state('m.room.name', { name: 'zara' }) },
        { name: 'PZ', sender: ZARA, ...powerLevels({ [ALICE]: 100, [ZARA]: 50, [BOB]: 50 }) },
      ],
      [
        ['JRA', 'TA', 'PA', 'START'],
        ['EB', 'TB', 'KB', 'START'],
        ['PZ', 'NC', 'PC', 'START'],
      ],
    );
    return dag;
  }

  test('the three-way fork resolves as the rules say', async () => {
    const dag = await threeWayFork();
    const tips = ['JRA', 'EB', 'PZ'].map((name) => dag.stateAfter(name));
    const resolved = await resolveStateV2(tips, dag.provider(), dag.room.version);
    const pick = (type: string, stateKey = '') => resolved.get(stateKeyOf(type, stateKey));
    assert.equal(pick('m.room.join_rules'), dag.id('JRA'));
    assert.equal(pick(MEMBER, CHARLIE), dag.id('KB'));
    // Evelyn's join is checked after the power events, against the invite-only join rules.
    assert.equal(pick(MEMBER, EVELYN), undefined);
    assert.equal(pick('m.room.name'), dag.id('NC'));
    // Zara's levels stand: Alice's levels giving Zara 50 are applied first.
    assert.equal(pick(PL), dag.id('PZ'));
  });

  test('every ordering of the state maps, their entries and event loading gives the same state', async () => {
    const dag = await threeWayFork();
    const tips = ['JRA', 'EB', 'PZ'].map((name) => [...dag.stateAfter(name)]);
    const expected = await resolveStateV2(
      tips.map((entries) => new Map(entries)),
      dag.provider(),
      dag.room.version,
    );
    const shuffled = <T>(items: T[]) => fc.shuffledSubarray(items, { minLength: items.length });
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        shuffled([0, 1, 2]),
        fc.tuple(...tips.map(shuffled)),
        async (scheduler, order, entries) => {
          const provider = {
            getEvent: (id: string) => scheduler.schedule(Promise.resolve(dag.events.get(id)), id),
          };
          const sets = order.map((i) => new Map(entries[i]));
          const resolved = await scheduler.waitFor(resolveStateV2(sets, provider, dag.room.version));
          assert.deepEqual(resolved, expected);
        },
      ),
      { numRuns: 50 },
    );
  });
});
