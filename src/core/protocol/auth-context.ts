// What the authorisation rules read from the room state while checking one
// event: the create event, the power levels and memberships.

import type { AuthStateLookup } from './auth-rules.ts';
import {
  CREATOR_POWER_LEVEL,
  type PowerLevels,
  powerLevelsOf,
  roomCreators,
  userLevelIn,
  userPowerLevel,
} from './power-levels.ts';
import type { RoomVersion } from './room-version.ts';
import type { RoomEvent } from './types.ts';

export interface AuthContext {
  readonly event: RoomEvent;
  readonly version: RoomVersion;
  readonly state: AuthStateLookup;
  readonly create: RoomEvent;
  /** v12+: the creators, whose power is infinite (empty before v12). */
  readonly creators: ReadonlySet<string>;
  readonly powerLevelsEvent: RoomEvent | undefined;
  /** The current power levels (defaults when the room has none). */
  readonly powerLevels: PowerLevels;
}

export function authContext(
  event: RoomEvent,
  state: AuthStateLookup,
  create: RoomEvent,
  version: RoomVersion,
): AuthContext {
  const powerLevelsEvent = state('m.room.power_levels', '');
  const powerLevels = powerLevelsOf(powerLevelsEvent, version);
  const creators = roomCreators(create, version);
  return { event, version, state, create, creators, powerLevelsEvent, powerLevels };
}

/** A user's current membership; `leave` when they have no member event (as gomatrixserverlib reads it). */
export function membershipOf(ctx: AuthContext, userId: string): string {
  const membership = ctx.state('m.room.member', userId)?.content.membership;
  return typeof membership === 'string' ? membership : 'leave';
}

/**
 * A user's current power level: infinite for a v12 creator, else from the power
 * levels, with the creator's 100 (before v12) while the room has none.
 */
export function levelOf(ctx: AuthContext, userId: string): number {
  if (ctx.creators.has(userId)) return CREATOR_POWER_LEVEL;
  if (ctx.powerLevelsEvent || ctx.version.privilegedCreators) return userLevelIn(userId, ctx.powerLevels);
  return userPowerLevel(userId, undefined, ctx.create, ctx.version);
}

/** The current join rule, if the room has a join rules event with one. */
export function joinRuleOf(ctx: AuthContext): string | undefined {
  const rule = ctx.state('m.room.join_rules', '')?.content.join_rule;
  return typeof rule === 'string' ? rule : undefined;
}
