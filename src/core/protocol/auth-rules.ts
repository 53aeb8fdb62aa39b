// Authorisation rules for room versions 10, 11 and 12 (spec: rooms/v10,
// rooms/v11 and rooms/v12, "Authorisation rules"). Comments carry the spec's
// rule numbers (v11's; v12 inserts a rule 2, so its later rules are one more)
// and every denial names the rule that rejected the event.
//
// Rule 2 (which auth_events an event cites, and whether they were rejected)
// needs the cited events themselves: see checkAuthEventsSelection in
// auth-events.ts, which callers run alongside checkAuth on the auth events.
// Signatures are not checked here: signing.ts verifies them on receipt, and
// rule 4.2 only checks that the authorising server's signature is present.

import { type AuthContext, authContext, levelOf, membershipOf } from './auth-context.ts';
import { createEventIdOfRoom, roomIdOfCreateEvent, serverNameOf, sigilIdProblem } from './identifiers.ts';
import { checkMemberEvent } from './auth-membership.ts';
import { checkPowerLevelsEvent } from './auth-power-levels.ts';
import { requiredPowerLevelForEvent } from './power-levels.ts';
import { type RoomVersion, roomVersion } from './room-version.ts';
import { type JsonValue, type RoomEvent, type Verdict, allowed, denied } from './types.ts';

/**
 * The room state an event is checked against: its own auth events, or the
 * state before it (the caller decides). Returns the state event at
 * (type, state_key), if any.
 */
export type AuthStateLookup = (type: string, stateKey: string) => RoomEvent | undefined;

/** Whether `event` passes the authorisation rules against `authState`. */
export function checkAuth(event: RoomEvent, authState: AuthStateLookup, version: RoomVersion): Verdict {
  if (!version.supported) return denied(`room version ${version.id} is not supported by these auth rules`);
  // 1. m.room.create.
  if (event.type === 'm.room.create') return checkCreateEvent(event, version);
  // 2.4 and 2.5, on the state given (2.1 to 2.3 need the cited events: checkAuthEventsSelection).
  const create = authState('m.room.create', '');
  if (!create) return denied('2.4: no m.room.create event');
  if (create.room_id !== event.room_id) return denied('2.5: the m.room.create event is from another room');
  // v12 rule 2: the room id is the create event's id.
  if (version.roomIdIsCreateEventId && create.event_id !== createEventIdOfRoom(event.room_id)) {
    return denied(`2: the room id does not name the m.room.create event ${create.event_id}`);
  }
  // 3. m.federate: false keeps other servers out.
  if (create.content['m.federate'] === false && serverNameOf(event.sender) !== serverNameOf(create.sender)) {
    return denied('3: the room does not federate and the sender is on another server');
  }
  const ctx = authContext(event, authState, create, version);
  // 4. m.room.member.
  if (event.type === 'm.room.member') return checkMemberEvent(ctx);
  // 5.
  if (membershipOf(ctx, event.sender) !== 'join') return denied('5: sender is not joined to the room');
  return checkSenderPower(ctx);
}

/** Rules 6 to 10: what a joined sender may send. */
function checkSenderPower(ctx: AuthContext): Verdict {
  const { event, powerLevels } = ctx;
  const senderLevel = levelOf(ctx, event.sender);
  // 6. m.room.third_party_invite: 6.1 allow if and only if the sender may invite.
  if (event.type === 'm.room.third_party_invite') {
    if (senderLevel >= powerLevels.invite) return allowed;
    return denied(`6.1: sender level ${senderLevel} is below the invite level ${powerLevels.invite}`);
  }
  // 7. The event type's required power level.
  const required = requiredPowerLevelForEvent(event.type, event.state_key !== undefined, powerLevels);
  if (required > senderLevel) {
    return denied(`7: sending ${event.type} needs level ${required}, sender has ${senderLevel}`);
  }
  // 8. State keys that are user ids belong to that user.
  if (event.state_key?.startsWith('@') && event.state_key !== event.sender) {
    return denied('8: state_key starts with @ and is not the sender');
  }
  // 9. m.room.power_levels.
  if (event.type === 'm.room.power_levels') return checkPowerLevelsEvent(ctx, senderLevel);
  // 10.
  return allowed;
}

/** Rule 1: the create event. */
function checkCreateEvent(event: RoomEvent, version: RoomVersion): Verdict {
  // 1.1
  if (event.prev_events.length > 0) return denied('1.1: m.room.create has prev_events');
  // 1.2 (v12: the event has no room_id, which validatePdu checks on the event as
  // received; its local copy carries the room id its event id implies).
  if (version.roomIdIsCreateEventId) {
    if (event.room_id !== roomIdOfCreateEvent(event.event_id)) {
      return denied('1.2: the room id is not the create event’s id');
    }
  } else {
    const server = serverNameOf(event.sender);
    if (server === undefined || serverNameOf(event.room_id) !== server) {
      return denied('1.2: the room id and the sender are on different servers');
    }
  }
  // 1.3
  const id = event.content.room_version;
  if (id !== undefined && (typeof id !== 'string' || !roomVersion(id))) {
    return denied(`1.3: unknown room version ${JSON.stringify(id)}`);
  }
  // 1.4 (v10 only; v11 drops the creator property).
  if (!version.implicitRoomCreator && !Object.hasOwn(event.content, 'creator')) {
    return denied('1.4: m.room.create content has no creator');
  }
  // 1.4 (v12): additional_creators, if present, is a list of user ids.
  const additional = event.content.additional_creators;
  if (version.privilegedCreators && additional !== undefined && !isUserIdList(additional)) {
    return denied('1.4: additional_creators is not an array of user ids');
  }
  // 1.5 (1.4 in v11): otherwise, allow.
  return allowed;
}

/** Each entry must pass the check the sender's user id passes (validatePdu's). */
function isUserIdList(value: JsonValue): boolean {
  return (
    Array.isArray(value) &&
    value.every((id) => typeof id === 'string' && sigilIdProblem(id, '@') === undefined)
  );
}

export { checkPowerLevelsShape } from './auth-power-levels.ts';
