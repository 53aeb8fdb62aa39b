// Loads events for one state resolution run. Real callers read events from
// storage, so the provider is async; each event is asked for at most once per
// run, and once loaded it is readable synchronously (the auth rules take a
// synchronous lookup).
import { authEventIdsOf } from '../auth-events.ts';
import type { RoomVersion } from '../room-version.ts';
import type { RoomEvent } from '../types.ts';

/** Where state resolution gets events from. */
export interface EventProvider {
  /** The event with this id, or undefined when it is not known (the algorithm then skips it). */
  getEvent(eventId: string): Promise<RoomEvent | undefined>;
  /**
   * Whether the event was rejected for failing auth against its auth chain. Optional: when
   * absent no event counts as rejected. Spec: rejected auth events are not used in the
   * iterative auth checks.
   */
  isRejected?(eventId: string): Promise<boolean>;
}

/** A per-run cache in front of an {@link EventProvider}. */
export class EventLoader {
  readonly #provider: EventProvider;
  readonly #pending = new Map<string, Promise<RoomEvent | undefined>>();
  readonly #loaded = new Map<string, RoomEvent | undefined>();
  readonly #rejected = new Map<string, Promise<boolean>>();
  readonly #version: RoomVersion | undefined;

  /** `version`: the room's, so that v12's implied create event is an auth event like the cited ones. */
  constructor(provider: EventProvider, version?: RoomVersion) {
    this.#provider = provider;
    this.#version = version;
  }

  /** The events `event`'s authorisation rests on: its auth_events and, from v12, its room's create event. */
  authIds(event: RoomEvent): string[] {
    return this.#version ? authEventIdsOf(event, this.#version) : event.auth_events;
  }

  /** Loads one event (memoised, including misses). */
  load(eventId: string): Promise<RoomEvent | undefined> {
    let pending = this.#pending.get(eventId);
    if (!pending) {
      pending = this.#provider.getEvent(eventId).then((event) => {
        // A provider returning an event under the wrong id would corrupt the graph; treat as missing.
        const found = event?.event_id === eventId ? event : undefined;
        this.#loaded.set(eventId, found);
        return found;
      });
      this.#pending.set(eventId, pending);
    }
    return pending;
  }

  /** Loads many events concurrently, so storage-backed providers can batch. */
  async loadAll(eventIds: Iterable<string>): Promise<void> {
    const waits: Promise<RoomEvent | undefined>[] = [];
    for (const id of eventIds) if (!this.#loaded.has(id)) waits.push(this.load(id));
    await Promise.all(waits);
  }

  /** An event already loaded by {@link load} or {@link loadAll}; undefined otherwise. */
  peek(eventId: string): RoomEvent | undefined {
    return this.#loaded.get(eventId);
  }

  /** Whether the provider says the event was rejected (memoised). */
  isRejected(eventId: string): Promise<boolean> {
    const ask = this.#provider.isRejected;
    if (!ask) return Promise.resolve(false);
    let pending = this.#rejected.get(eventId);
    if (!pending) {
      pending = ask.call(this.#provider, eventId);
      this.#rejected.set(eventId, pending);
    }
    return pending;
  }
}
