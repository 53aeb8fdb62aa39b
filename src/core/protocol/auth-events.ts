// Which state events an event cites as auth_events (spec: server-server API
// "Auth events selection") and rule 2 of the room v10/v11 authorisation rules,
// which checks that citation.

import { createEventIdOfRoom } from './identifiers.ts';
import type { RoomVersion } from './room-version.ts';
import {
  type JsonObject,
  type Pdu,
  type RoomEvent,
  type Verdict,
  allowed,
  denied,
  stateKeyOf,
} from './types.ts';

/** A (type, state_key) pair naming one piece of room state. */
export interface StateTuple {
  type: string;
  stateKey: string;
}

/** The parts of an event that decide its auth events. */
export type AuthSelectionInput = Pick<Pdu, 'type' | 'sender' | 'state_key' | 'content'>;

/**
 * The state an event must cite as auth_events, in this order:
 * 1. the m.room.create event before v12 (none at all for the create event
 *    itself; from v12 the room id implies it and citing it is an error);
 * 2. the current m.room.power_levels event;
 * 3. the sender's m.room.member event;
 * 4. for m.room.member events: the target's member event; the join rules for
 *    join, invite and knock; the m.room.third_party_invite named by
 *    `third_party_invite.signed.token` for invites; and for joins in versions
 *    with restricted rooms, the member event of `join_authorised_via_users_server`.
 * Each tuple appears once; whether the state exists is up to the caller.
 */
export function authEventTypesFor(event: AuthSelectionInput, version: RoomVersion): StateTuple[] {
  if (event.type === 'm.room.create') return [];
  const tuples: StateTuple[] = [
    ...(version.roomIdIsCreateEventId ? [] : [{ type: 'm.room.create', stateKey: '' }]),
    { type: 'm.room.power_levels', stateKey: '' },
    { type: 'm.room.member', stateKey: event.sender },
  ];
  if (event.type === 'm.room.member' && typeof event.state_key === 'string') {
    tuples.push(...memberAuthTuples(event.state_key, event.content, version));
  }
  return dedupe(tuples);
}

/**
 * The events an event's authorisation rests on: its `auth_events`, and from
 * v12 on also the create event its room id names (rule 2), which it may not
 * cite. Every walk of auth chains goes through this (as Synapse's
 * `auth_event_ids()` does), so that the create event is in every auth chain.
 */
export function authEventIdsOf(
  event: Pick<Pdu, 'type' | 'state_key' | 'room_id' | 'auth_events'>,
  version: RoomVersion,
): string[] {
  if (!version.roomIdIsCreateEventId || (event.type === 'm.room.create' && event.state_key === '')) {
    return event.auth_events;
  }
  return [...event.auth_events, createEventIdOfRoom(event.room_id)];
}

function memberAuthTuples(target: string, content: JsonObject, version: RoomVersion): StateTuple[] {
  const tuples: StateTuple[] = [{ type: 'm.room.member', stateKey: target }];
  const membership = content.membership;
  if (membership === 'join' || membership === 'invite' || membership === 'knock') {
    tuples.push({ type: 'm.room.join_rules', stateKey: '' });
  }
  const token = thirdPartyInviteToken(content);
  if (membership === 'invite' && token !== undefined) {
    tuples.push({ type: 'm.room.third_party_invite', stateKey: token });
  }
  const via = content.join_authorised_via_users_server;
  if (membership === 'join' && version.restrictedJoins && typeof via === 'string') {
    tuples.push({ type: 'm.room.member', stateKey: via });
  }
  return tuples;
}

/** `content.third_party_invite.signed.token` of a member event, if it is a string. */
export function thirdPartyInviteToken(content: JsonObject): string | undefined {
  const invite = content.third_party_invite;
  if (typeof invite !== 'object' || invite === null || Array.isArray(invite)) return undefined;
  const signed = invite.signed;
  if (typeof signed !== 'object' || signed === null || Array.isArray(signed)) return undefined;
  return typeof signed.token === 'string' ? signed.token : undefined;
}

function dedupe(tuples: StateTuple[]): StateTuple[] {
  const seen = new Set<string>();
  return tuples.filter((t) => {
    const key = stateKeyOf(t.type, t.stateKey);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Rule 2 of the authorisation rules (rooms v10 and v11; rules 2 and 3 in
 * v12), for everything but the create event (rule 1 allows that before this
 * applies). `authEvents` are the events authEventIdsOf names (the cited ones,
 * and from v12 the create event of the room id); `isRejected` tells which of
 * them were rejected on receipt (2.3), which only the caller knows.
 */
export function checkAuthEventsSelection(
  event: RoomEvent,
  authEvents: readonly RoomEvent[],
  version: RoomVersion,
  isRejected: (eventId: string) => boolean = () => false,
): Verdict {
  if (event.type === 'm.room.create') return allowed;
  const byId = new Map(authEvents.map((e) => [e.event_id, e]));
  const expected = new Set(authEventTypesFor(event, version).map((t) => stateKeyOf(t.type, t.stateKey)));
  const seen = new Set<string>();
  for (const id of event.auth_events) {
    const authEvent = byId.get(id);
    if (!authEvent) return denied(`2: auth event ${id} was not provided`);
    if (authEvent.state_key === undefined) return denied(`2.2: auth event ${id} is not a state event`);
    const key = stateKeyOf(authEvent.type, authEvent.state_key);
    // 2.1: one entry per (type, state_key).
    if (seen.has(key))
      return denied(`2.1: duplicate auth events for ${authEvent.type} "${authEvent.state_key}"`);
    seen.add(key);
    // 2.2: only what the auth events selection asks for.
    if (!expected.has(key))
      return denied(`2.2: unexpected auth event ${authEvent.type} "${authEvent.state_key}"`);
    // 2.3: no rejected auth events.
    if (isRejected(id)) return denied(`2.3: auth event ${id} was rejected`);
    // 2.5: every auth event belongs to this room.
    if (authEvent.room_id !== event.room_id) return denied(`2.5: auth event ${id} is from another room`);
  }
  if (version.roomIdIsCreateEventId) return impliedCreateVerdict(event, byId, isRejected);
  // 2.4: the create event must be among them.
  if (!seen.has(stateKeyOf('m.room.create', ''))) return denied('2.4: no m.room.create among auth events');
  return allowed;
}

/** v12 rule 2: the room id names an accepted (not rejected) m.room.create event. */
function impliedCreateVerdict(
  event: RoomEvent,
  byId: ReadonlyMap<string, RoomEvent>,
  isRejected: (eventId: string) => boolean,
): Verdict {
  const id = createEventIdOfRoom(event.room_id);
  const create = byId.get(id);
  if (!create) return denied(`2: the create event ${id} the room id names was not provided`);
  if (create.type !== 'm.room.create' || create.state_key !== '') {
    return denied(`2: the room id names ${id}, which is not an m.room.create event`);
  }
  if (isRejected(id)) return denied(`2: the create event ${id} was rejected`);
  return allowed;
}
