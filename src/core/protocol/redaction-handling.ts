// When an authorised m.room.redaction takes effect (spec: rooms v3 and later,
// "Handling redactions"). The auth rules accept any redaction a sender may
// send by `events`/`events_default`; the redact level is checked only here.

import type { AuthStateLookup } from './auth-rules.ts';
import { serverNameOf } from './identifiers.ts';
import { powerLevelsOf, userPowerLevel } from './power-levels.ts';
import type { RoomVersion } from './room-version.ts';
import { type Pdu, type RoomEvent, type Verdict, allowed, denied } from './types.ts';

/** The id a redaction targets: `content.redacts` from v11 on, the top-level `redacts` before. */
export function redactedEventId(redaction: Pdu, version: RoomVersion): string | undefined {
  const redacts = version.redactsInContent ? redaction.content.redacts : redaction.redacts;
  return typeof redacts === 'string' ? redacts : undefined;
}

/**
 * Whether a redaction (already accepted by the auth rules) should be applied
 * to `redacted`, given the room state at the redaction (`authState`). Either
 * 1. the redaction's sender has at least the redact level, or
 * 2. the redaction's sender is on the same server as the redacted event's sender.
 */
export function redactionApplies(
  redaction: RoomEvent,
  redacted: RoomEvent,
  authState: AuthStateLookup,
  version: RoomVersion,
): Verdict {
  if (redaction.type !== 'm.room.redaction') return denied('not an m.room.redaction event');
  if (redactedEventId(redaction, version) !== redacted.event_id)
    return denied('the redaction targets another event');
  if (redacted.room_id !== redaction.room_id) return denied('the redacted event is in another room');
  const plEvent = authState('m.room.power_levels', '');
  const level = userPowerLevel(redaction.sender, plEvent, authState('m.room.create', ''), version);
  const redactLevel = powerLevelsOf(plEvent, version).redact;
  // 1.
  if (level >= redactLevel) return allowed;
  // 2.
  const server = serverNameOf(redaction.sender);
  if (server !== undefined && server === serverNameOf(redacted.sender)) return allowed;
  return denied(`sender level ${level} is below the redact level ${redactLevel} and on another server`);
}
