// State resolution v2 on a large fork: a 1,000-member room whose two branches
// change display names, power levels, kicks and join rules concurrently,
// giving 200 conflicted events. Prints the median resolution time.

import { performance } from 'node:perf_hooks';
import { conflictedEventIds, resolveStateV2, separateState } from '../src/core/protocol/state-resolution.ts';
import { type JsonObject, type RoomEvent, type StateKey, stateKeyOf } from '../src/core/protocol/types.ts';
import { RoomBuilder } from '../test/support/room-builder.ts';
import { measured } from './table.ts';

const MEMBERS = 1000;
const RUNS = 7;
const ALICE = '@alice:example.org';
const user = (i: number) => `@user${i}:example.org`;

/** Builds events on one branch, keeping that branch's state itself (the builder's is linear). */
class Branch {
  readonly state: Map<StateKey, RoomEvent>;
  head: string;
  readonly #room: RoomBuilder;
  readonly #all: Map<string, RoomEvent>;

  constructor(room: RoomBuilder, all: Map<string, RoomEvent>, state: Map<StateKey, RoomEvent>, head: string) {
    this.#room = room;
    this.#all = all;
    this.state = new Map(state);
    this.head = head;
  }

  add(type: string, sender: string, stateKey: string, content: JsonObject): RoomEvent {
    const event = this.#room.build({
      type,
      sender,
      stateKey,
      content,
      prevEvents: [this.head],
      authState: this.state,
    });
    this.#all.set(event.event_id, event);
    this.state.set(stateKeyOf(type, stateKey), event);
    this.head = event.event_id;
    return event;
  }

  ids(): Map<StateKey, string> {
    return new Map([...this.state].map(([key, event]) => [key, event.event_id]));
  }
}

function buildFork(): {
  events: Map<string, RoomEvent>;
  sides: Map<StateKey, string>[];
  version: RoomBuilder['version'];
} {
  const room = new RoomBuilder({ creator: ALICE });
  const events = new Map(room.events);
  const trunk = new Branch(room, events, room.state, [...room.events.keys()].at(-1)!);
  const levels: JsonObject = { [ALICE]: 100 };
  for (let i = 0; i < 10; i++) levels[user(i)] = 50;
  trunk.add('m.room.power_levels', ALICE, '', { ...room.powerLevelsContent(), users: { ...levels } });
  for (let i = 0; i < MEMBERS; i++) trunk.add('m.room.member', user(i), user(i), { membership: 'join' });

  const a = new Branch(room, events, trunk.state, trunk.head);
  const b = new Branch(room, events, trunk.state, trunk.head);
  for (let i = 0; i < 90; i++) {
    if (i % 9 === 0) {
      levels[user(100 + i)] = 10;
      a.add('m.room.power_levels', ALICE, '', { ...room.powerLevelsContent(), users: { ...levels } });
    }
    a.add('m.room.member', user(i), user(i), { membership: 'join', displayname: `a${i}` });
    b.add('m.room.member', user(i), user(i), { membership: 'join', displayname: `b${i}` });
  }
  for (let i = 0; i < 8; i++) b.add('m.room.member', user(i), user(900 + i), { membership: 'leave' });
  for (let i = 0; i < 5; i++)
    b.add('m.room.join_rules', ALICE, '', { join_rule: i % 2 ? 'public' : 'invite' });
  return { events, sides: [a.ids(), b.ids()], version: room.version };
}

export default async function stateResolutionBench(): Promise<void> {
  const { events, sides, version } = buildFork();
  const provider = { getEvent: async (id: string) => events.get(id) };
  const conflicted = conflictedEventIds(separateState(sides).conflicted).size;
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    await resolveStateV2(sides, provider, version);
    times.push(performance.now() - start);
  }
  times.sort((x, y) => x - y);
  const median = times[Math.floor(RUNS / 2)]!;
  measured('state-res.1000', median);
  console.log(
    `state resolution v2: ${MEMBERS} members, ${conflicted} conflicted events: ` +
      `median ${median.toFixed(1)} ms over ${RUNS} runs (min ${times[0]!.toFixed(1)}, max ${times.at(-1)!.toFixed(1)})`,
  );
}
