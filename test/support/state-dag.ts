// Test fixture: grows a branching event DAG on top of a RoomBuilder room and
// computes the state after every event the way a server does: one prev event
// gives its state, several give the resolution of their states (state
// resolution v2). Events are named; their ids are `$<name>`. The notation of
// the edges follows Synapse's tests/state/test_v2.py: a chain
// ['END', 'B', 'A'] means END's prev event is B and B's is A.
//
//   const dag = new StateDag(room);            // every appended room event, named by `names`
//   await dag.grow([{ name: 'T1', type: 'm.room.topic', sender: ALICE, stateKey: '' }], [['T1', 'START']]);
//   dag.stateAfter('T1');                     // state key → event id

import { type EventProvider, resolveStateV2 } from '../../src/core/protocol/state-resolution.ts';
import { type JsonObject, type RoomEvent, type StateKey, stateKeyOf } from '../../src/core/protocol/types.ts';
import type { RoomBuilder } from './room-builder.ts';

export interface DagNode {
  name: string;
  type: string;
  sender: string;
  /** Present for state events. */
  stateKey?: string;
  content?: JsonObject;
}

export class StateDag {
  readonly room: RoomBuilder;
  /** Every event of the DAG by event id. */
  readonly events = new Map<string, RoomEvent>();
  readonly #byName = new Map<string, RoomEvent>();
  readonly #stateAfter = new Map<string, ReadonlyMap<StateKey, string>>();

  constructor(room: RoomBuilder) {
    this.room = room;
  }

  /** Names an event the room builder appended; its state is the builder's state after it. */
  adopt(name: string, event: RoomEvent): void {
    const state = this.room.stateAfter.get(event.event_id);
    if (!state) throw new Error(`${event.event_id} was not appended to the room builder`);
    this.#record(name, event, new Map([...state].map(([key, e]) => [key, e.event_id])));
  }

  /**
   * Builds the nodes in topological order (ties by name, as Synapse's harness does, so
   * timestamps grow in that order), each on the state before it.
   */
  async grow(nodes: readonly DagNode[], chains: readonly (readonly string[])[]): Promise<void> {
    const prevs = new Map<string, Set<string>>(nodes.map((n) => [n.name, new Set()]));
    for (const chain of chains) {
      for (let i = 0; i + 1 < chain.length; i++) prevs.get(chain[i]!)?.add(chain[i + 1]!);
    }
    const pending = new Map(nodes.map((n) => [n.name, n]));
    while (pending.size > 0) {
      const ready = [...pending.keys()].filter((name) =>
        [...prevs.get(name)!].every((p) => this.#byName.has(p)),
      );
      if (ready.length === 0) throw new Error(`cycle or unknown prev event among ${[...pending.keys()]}`);
      const name = ready.sort()[0]!;
      await this.#build(pending.get(name)!, [...prevs.get(name)!]);
      pending.delete(name);
    }
  }

  id(name: string): string {
    const event = this.#byName.get(name);
    if (!event) throw new Error(`no event named ${name}`);
    return event.event_id;
  }

  event(name: string): RoomEvent {
    return this.events.get(this.id(name))!;
  }

  stateAfter(name: string): ReadonlyMap<StateKey, string> {
    const state = this.#stateAfter.get(name);
    if (!state) throw new Error(`no event named ${name}`);
    return state;
  }

  /** An event provider over the DAG's events. */
  provider(): EventProvider {
    return { getEvent: async (id) => this.events.get(id) };
  }

  async #build(node: DagNode, prevNames: readonly string[]): Promise<void> {
    const before = await this.#stateBefore(prevNames);
    const authState = new Map([...before].map(([key, id]) => [key, this.events.get(id)!]));
    const event = this.room.build({
      type: node.type,
      sender: node.sender,
      stateKey: node.stateKey,
      content: node.content ?? {},
      prevEvents: prevNames.map((p) => this.id(p)),
      authState,
      id: `$${node.name}`,
    });
    const after = new Map(before);
    if (event.state_key !== undefined) after.set(stateKeyOf(event.type, event.state_key), event.event_id);
    this.#record(node.name, event, after);
  }

  async #stateBefore(prevNames: readonly string[]): Promise<Map<StateKey, string>> {
    const states = prevNames.map((p) => this.stateAfter(p));
    if (states.length === 1) return new Map(states[0]);
    if (states.length === 0) return new Map();
    return resolveStateV2(states, this.provider(), this.room.version);
  }

  #record(name: string, event: RoomEvent, stateAfter: ReadonlyMap<StateKey, string>): void {
    if (this.#byName.has(name)) throw new Error(`duplicate event name ${name}`);
    this.#byName.set(name, event);
    this.events.set(event.event_id, event);
    this.#stateAfter.set(name, stateAfter);
  }
}
