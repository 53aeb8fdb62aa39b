// Every difference between room versions lives here, as data on one object per
// version, so that algorithms ask `version.knockRestricted` instead of
// comparing version strings (spec: "Room Versions").

export type EventIdFormat = 'v1' | 'v3' | 'v4';

export interface RoomVersion {
  readonly id: string;
  /** v1/v2: event_id is sent with the event; v3: `$` + base64 reference hash; v4+: url-safe base64. */
  readonly eventIdFormat: EventIdFormat;
  /**
   * State resolution algorithm: v1 for version 1, v2 from 2 on, and v2.1 from
   * 12 on (MSC4297: iterative auth checks start from empty state, and the
   * conflicted state subgraph joins the full conflicted set).
   */
  readonly stateResolution: 'v1' | 'v2' | 'v2.1';
  /** v5+: signing keys must be valid at origin_server_ts (irrelevant for P2P keys, kept for completeness). */
  readonly enforceKeyValidity: boolean;
  /** v6+: m.room.aliases loses its special auth rule and its redaction protection. */
  readonly specialCasedAliasesAuth: boolean;
  /** v6+: events with floats or out-of-range integers are rejected. */
  readonly strictCanonicalJson: boolean;
  /** v6+: notifications power level is protected by auth and redaction rules. */
  readonly limitNotificationsPowerLevels: boolean;
  /** v7+: `knock` membership exists. */
  readonly knock: boolean;
  /** v8+: `restricted` join rule with `allow` conditions. */
  readonly restrictedJoins: boolean;
  /** v9+: redaction keeps `join_authorised_via_users_server` in member content. */
  readonly redactionKeepsAuthorisingServer: boolean;
  /** v10+: `knock_restricted` join rule. */
  readonly knockRestricted: boolean;
  /** v10+: power level values must be integers, not strings. */
  readonly integerPowerLevels: boolean;
  /** v11+: the creator is the sender of m.room.create; content.creator is not special. */
  readonly implicitRoomCreator: boolean;
  /** v11+: `redacts` lives in the redaction's content. */
  readonly redactsInContent: boolean;
  /** v11+: the v11 redaction algorithm (see redaction.ts). */
  readonly redactionV11: boolean;
  /**
   * v12+ (MSC4291): the room id is the create event's id with `!` for `$`; the
   * create event has no `room_id`, and no event cites it in `auth_events`
   * (the room id implies it).
   */
  readonly roomIdIsCreateEventId: boolean;
  /**
   * v12+ (MSC4289): the create event's sender and `content.additional_creators`
   * are the room's creators, with infinite power; m.room.power_levels may not list them.
   */
  readonly privilegedCreators: boolean;
  /** True when this implementation runs the full auth rules and can host or join the room. */
  readonly supported: boolean;
}

const v1: RoomVersion = {
  id: '1',
  eventIdFormat: 'v1',
  stateResolution: 'v1',
  enforceKeyValidity: false,
  specialCasedAliasesAuth: true,
  strictCanonicalJson: false,
  limitNotificationsPowerLevels: false,
  knock: false,
  restrictedJoins: false,
  redactionKeepsAuthorisingServer: false,
  knockRestricted: false,
  integerPowerLevels: false,
  implicitRoomCreator: false,
  redactsInContent: false,
  redactionV11: false,
  roomIdIsCreateEventId: false,
  privilegedCreators: false,
  supported: false,
};
const v2: RoomVersion = { ...v1, id: '2', stateResolution: 'v2' };
const v3: RoomVersion = { ...v2, id: '3', eventIdFormat: 'v3' };
const v4: RoomVersion = { ...v3, id: '4', eventIdFormat: 'v4' };
const v5: RoomVersion = { ...v4, id: '5', enforceKeyValidity: true };
const v6: RoomVersion = {
  ...v5,
  id: '6',
  specialCasedAliasesAuth: false,
  strictCanonicalJson: true,
  limitNotificationsPowerLevels: true,
};
const v7: RoomVersion = { ...v6, id: '7', knock: true };
const v8: RoomVersion = { ...v7, id: '8', restrictedJoins: true };
const v9: RoomVersion = { ...v8, id: '9', redactionKeepsAuthorisingServer: true };
const v10: RoomVersion = {
  ...v9,
  id: '10',
  knockRestricted: true,
  integerPowerLevels: true,
  supported: true,
};
const v11: RoomVersion = {
  ...v10,
  id: '11',
  implicitRoomCreator: true,
  redactsInContent: true,
  redactionV11: true,
  supported: true,
};

const v12: RoomVersion = {
  ...v11,
  id: '12',
  stateResolution: 'v2.1',
  roomIdIsCreateEventId: true,
  privilegedCreators: true,
};

const ALL: readonly RoomVersion[] = [v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12];
const BY_ID = new Map(ALL.map((v) => [v.id, v]));

/** Versions this server can create and join (full auth rules and state resolution v2). */
export const SUPPORTED_ROOM_VERSIONS: readonly string[] = ALL.filter((v) => v.supported).map((v) => v.id);
/**
 * The version new rooms get unless the client asks for another: 12, as spec
 * v1.16 recommends ("Servers SHOULD use room version 12 as the default") and
 * Element Web 1.12.7 reads (creators' infinite power, hash room ids). In a
 * P2P room every member's peer may be hostile: v12's state resolution v2.1
 * keeps a peer's stale or forged state from resetting bans and power levels,
 * and no power levels event can take the room from its creator. The README
 * gives the reasons at length.
 */
export const DEFAULT_ROOM_VERSION = '12';

/** Looks up a room version by id; undefined for versions this library does not know. */
export function roomVersion(id: string): RoomVersion | undefined {
  return BY_ID.get(id);
}
