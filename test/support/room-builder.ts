// Test fixture: builds a room's events with correct auth_events and tracks its
// state, so tests never hand-write PDU JSON (in the spirit of Dendrite's
// test.NewRoom). Events carry fake hashes and signatures and deterministic ids:
// nothing here is fit for crypto checks.
//
//   const room = new RoomBuilder({ version: '10', creator: '@alice:a' });
//   room.join('@bob:b');                                  // appended, state updated
//   const ev = room.build({ type: 'm.room.message', sender: '@bob:b', content: {} });
//   checkAuth(ev, room.stateLookup(), room.version);      // candidate, not appended

import type { AuthStateLookup } from '../../src/core/protocol/auth-rules.ts';
import { authEventIdsOf, authEventTypesFor } from '../../src/core/protocol/auth-events.ts';
import { roomIdOfCreateEvent, serverNameOf } from '../../src/core/protocol/identifiers.ts';
import { POWER_LEVEL_DEFAULTS } from '../../src/core/protocol/power-levels.ts';
import { type RoomVersion, roomVersion } from '../../src/core/protocol/room-version.ts';
import { type JsonObject, type RoomEvent, type StateKey, stateKeyOf } from '../../src/core/protocol/types.ts';

export interface RoomBuilderOptions {
  /** Room version id; default '10'. */
  version?: string;
  creator: string;
  /** Default `!room:<creator's server>`; from v12 `!` + the create event's id (`!0001_create`). */
  roomId?: string;
  /** Join rule of the initial m.room.join_rules; default 'public'; null for no join rules event. */
  joinRule?: string | null;
  /** Merged over the default power levels content (creator 100 before v12, usual defaults); null for none. */
  powerLevels?: JsonObject | null;
  /** Extra m.room.create content. */
  createContent?: JsonObject;
}

export interface EventSpec {
  type: string;
  sender: string;
  /** Present for state events. */
  stateKey?: string;
  content?: JsonObject;
  /** Default: the last appended event (none for m.room.create). */
  prevEvents?: string[];
  /** Default: the auth events selection over `authState`. */
  authEvents?: string[];
  /** State the default auth events are picked from; default the builder's current state. */
  authState?: ReadonlyMap<StateKey, RoomEvent>;
  /** Default: grows by one second per event built. */
  ts?: number;
  /** Default `$0001_<type tail>`: a counter, so ids sort in build order. */
  id?: string;
  /** Extra top-level fields (e.g. `redacts`, `signatures`), applied last. */
  extra?: JsonObject;
}

export class RoomBuilder {
  readonly version: RoomVersion;
  readonly roomId: string;
  readonly creator: string;
  /** Current state: the builder applies every appended state event in order (one linear timeline). */
  readonly state = new Map<StateKey, RoomEvent>();
  /** Every appended event, by id, in insertion order. */
  readonly events = new Map<string, RoomEvent>();
  /** State after each appended event (what the builder's timeline gives). */
  readonly stateAfter = new Map<string, ReadonlyMap<StateKey, RoomEvent>>();
  readonly create: RoomEvent;
  private counter = 0;
  private head: string | undefined;

  constructor(options: RoomBuilderOptions) {
    const version = roomVersion(options.version ?? '10');
    if (!version) throw new Error(`unknown room version ${options.version}`);
    this.version = version;
    this.creator = options.creator;
    // From v12 the room id is the create event's id, the first one built.
    this.roomId =
      options.roomId ??
      (version.roomIdIsCreateEventId
        ? roomIdOfCreateEvent('$0001_create')
        : `!room:${serverNameOf(options.creator)}`);
    const creatorField: JsonObject = version.implicitRoomCreator ? {} : { creator: options.creator };
    this.create = this.event({
      type: 'm.room.create',
      sender: options.creator,
      stateKey: '',
      content: { room_version: version.id, ...creatorField, ...options.createContent },
    });
    this.join(options.creator);
    if (options.powerLevels !== null) {
      // v12: creators have infinite power and may not be listed.
      const defaults = version.privilegedCreators
        ? defaultPowerLevelsV12()
        : defaultPowerLevels(options.creator);
      this.setPowerLevels(options.creator, { ...defaults, ...options.powerLevels });
    }
    if (options.joinRule !== null) this.setJoinRule(options.creator, options.joinRule ?? 'public');
  }

  /** Builds an event without appending it: a candidate to run checks on. */
  build(spec: EventSpec): RoomEvent {
    const n = ++this.counter;
    const content = spec.content ?? {};
    const prevEvents = spec.prevEvents ?? (spec.type === 'm.room.create' || !this.head ? [] : [this.head]);
    const event: RoomEvent = {
      event_id: spec.id ?? `$${String(n).padStart(4, '0')}_${spec.type.split('.').pop()}`,
      room_id: this.roomId,
      sender: spec.sender,
      origin_server_ts: spec.ts ?? 1_700_000_000_000 + n * 1000,
      type: spec.type,
      content,
      prev_events: prevEvents,
      auth_events: spec.authEvents ?? this.selectAuthEvents(spec, content),
      depth: 1 + Math.max(0, ...prevEvents.map((id) => this.events.get(id)?.depth ?? 0)),
      hashes: { sha256: 'fake' },
      signatures: fakeSignatures(spec.sender, content),
    };
    if (spec.stateKey !== undefined) event.state_key = spec.stateKey;
    return { ...event, ...spec.extra } as RoomEvent;
  }

  /** Builds an event and appends it: it becomes the head and, if a state event, current state. */
  event(spec: EventSpec): RoomEvent {
    return this.append(this.build(spec));
  }

  /** Appends an already built event (e.g. one from `build` that passed auth). */
  append(event: RoomEvent): RoomEvent {
    this.events.set(event.event_id, event);
    this.head = event.event_id;
    if (event.state_key !== undefined) this.state.set(stateKeyOf(event.type, event.state_key), event);
    this.stateAfter.set(event.event_id, new Map(this.state));
    return event;
  }

  /** An AuthStateLookup over `state` (default: the current state). */
  stateLookup(state: ReadonlyMap<StateKey, RoomEvent> = this.state): AuthStateLookup {
    return (type, stateKey) => state.get(stateKeyOf(type, stateKey));
  }

  /** An AuthStateLookup over an event's own auth_events (they must be appended events). */
  authEventsLookup(event: RoomEvent): AuthStateLookup {
    return this.stateLookup(
      new Map(this.authEventsOf(event).map((e) => [stateKeyOf(e.type, e.state_key!), e])),
    );
  }

  /** The appended events an event's auth_events name (and from v12 the create event its room id implies). */
  authEventsOf(event: RoomEvent): RoomEvent[] {
    return authEventIdsOf(event, this.version).map((id) => this.get(id));
  }

  get(eventId: string): RoomEvent {
    const event = this.events.get(eventId);
    if (!event) throw new Error(`no event ${eventId} in this room`);
    return event;
  }

  /** Builds an m.room.member event (not appended); `content` is merged over `{membership}`. */
  buildMember(sender: string, target: string, membership: string, content: JsonObject = {}): RoomEvent {
    return this.build({
      type: 'm.room.member',
      sender,
      stateKey: target,
      content: { membership, ...content },
    });
  }

  member(sender: string, target: string, membership: string, content: JsonObject = {}): RoomEvent {
    return this.append(this.buildMember(sender, target, membership, content));
  }

  join(userId: string, content: JsonObject = {}): RoomEvent {
    return this.member(userId, userId, 'join', content);
  }

  invite(sender: string, target: string): RoomEvent {
    return this.member(sender, target, 'invite');
  }

  leave(userId: string): RoomEvent {
    return this.member(userId, userId, 'leave');
  }

  ban(sender: string, target: string): RoomEvent {
    return this.member(sender, target, 'ban');
  }

  /** Replaces the power levels content entirely. */
  setPowerLevels(sender: string, content: JsonObject): RoomEvent {
    return this.event({ type: 'm.room.power_levels', sender, stateKey: '', content });
  }

  /** The current power levels content ({} when there is none), for editing a copy. */
  powerLevelsContent(): JsonObject {
    return structuredClone(this.state.get(stateKeyOf('m.room.power_levels', ''))?.content ?? {});
  }

  setJoinRule(sender: string, joinRule: string, extra: JsonObject = {}): RoomEvent {
    return this.event({
      type: 'm.room.join_rules',
      sender,
      stateKey: '',
      content: { join_rule: joinRule, ...extra },
    });
  }

  /** Builds (without appending) a redaction of `redacts`: in `content` from v11 on, top-level before. */
  buildRedaction(sender: string, redacts: string): RoomEvent {
    if (this.version.redactsInContent)
      return this.build({ type: 'm.room.redaction', sender, content: { redacts } });
    return this.build({ type: 'm.room.redaction', sender, content: {}, extra: { redacts } });
  }

  message(sender: string, body = 'hello'): RoomEvent {
    return this.event({ type: 'm.room.message', sender, content: { msgtype: 'm.text', body } });
  }

  private selectAuthEvents(spec: EventSpec, content: JsonObject): string[] {
    const state = spec.authState ?? this.state;
    const input = { type: spec.type, sender: spec.sender, state_key: spec.stateKey, content };
    return authEventTypesFor(input, this.version)
      .map((t) => state.get(stateKeyOf(t.type, t.stateKey))?.event_id)
      .filter((id): id is string => id !== undefined);
  }
}

/** From v12: the same without the creator, whose power is infinite. */
export function defaultPowerLevelsV12(): JsonObject {
  return { users: {}, events: {}, ...POWER_LEVEL_DEFAULTS };
}

/** The power levels content a room gets at creation, as servers usually send it. */
export function defaultPowerLevels(creator: string): JsonObject {
  return { users: { [creator]: 100 }, events: {}, ...POWER_LEVEL_DEFAULTS };
}

/** A placeholder signature from the sender's server, and from the authorising server of a restricted join. */
function fakeSignatures(sender: string, content: JsonObject): Record<string, Record<string, string>> {
  const signatures: Record<string, Record<string, string>> = {
    [serverNameOf(sender)!]: { 'ed25519:fake': 'fake' },
  };
  const via = content.join_authorised_via_users_server;
  if (typeof via === 'string') signatures[serverNameOf(via)!] = { 'ed25519:fake': 'fake' };
  return signatures;
}
