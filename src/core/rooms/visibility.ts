// History visibility (spec: client-server API, "History visibility"): which
// events of a room a user may see, decided per event from the state at it.
import type { ReadTx } from '../storage/port.ts';
import { type GroupCache, stateEntryIn } from './state-groups.ts';
import { type EventRow, eventsTable, type MemberRow, membersTable } from './tables.ts';

export type HistoryVisibility = 'world_readable' | 'shared' | 'invited' | 'joined';

/** Answers "may this user see that event" for many events of one room, caching state lookups. */
export class VisibilityChecker {
  private readonly state: StateValues;
  private readonly userId: string;
  /** The user's current membership row in the room (for "joined at any point after"). */
  private readonly member: MemberRow | undefined;

  private constructor(tx: ReadTx, userId: string, member: MemberRow | undefined) {
    this.state = new StateValues(tx);
    this.userId = userId;
    this.member = member;
  }

  static async create(tx: ReadTx, roomId: string, userId: string): Promise<VisibilityChecker> {
    return new VisibilityChecker(tx, userId, await membersTable.get(tx, [roomId, userId]));
  }

  /**
   * Spec steps:
   * 1. history_visibility world_readable at the event: allow.
   * 2. The user's membership at the event is join: allow.
   * 3. shared, and the user joined at any point after the event: allow.
   * 4. invited, and the user's membership at the event is invite: allow.
   * 5. Otherwise deny.
   * The user's own member events are always visible (as in Synapse: a user
   * sees their own leave and the invite they received).
   */
  async canSee(row: EventRow): Promise<boolean> {
    if (row.type === 'm.room.member' && row.state_key === this.userId) return true;
    const visibility = await this.visibilityAt(row);
    // 1.
    if (visibility === 'world_readable') return true;
    const membership = await this.valueAt(row.sg_after, 'm.room.member', this.userId, 'membership');
    // 2.
    if (membership === 'join') return true;
    // 3.
    const joinedAfter =
      this.member?.joined_stream !== undefined && this.member.joined_stream > (row.stream ?? 0);
    if (visibility === 'shared' && joinedAfter) return true;
    // 4.
    return visibility === 'invited' && membership === 'invite';
  }

  private async visibilityAt(row: EventRow): Promise<HistoryVisibility> {
    const value = await this.valueAt(row.sg_before, 'm.room.history_visibility', '', 'history_visibility');
    return value === 'world_readable' || value === 'invited' || value === 'joined' ? value : 'shared';
  }

  private valueAt(group: number, type: string, stateKey: string, field: string): Promise<string | undefined> {
    return this.state.at(group, type, stateKey, field);
  }
}

/**
 * content[field] of the state event at (type, stateKey) in a state group, if
 * it is a string, for the events of one request. Answers are kept per group:
 * consecutive messages share their state group, and walking its chain for
 * each of them was a seventh of what paging a room's history allocated.
 */
class StateValues {
  private readonly groups: GroupCache = new Map();
  /** By event id and field: groups share their state events. */
  private readonly contents = new Map<string, string | undefined>();
  /** By group, type, state key and field. */
  private readonly values = new Map<string, string | undefined>();
  private readonly tx: ReadTx;

  constructor(tx: ReadTx) {
    this.tx = tx;
  }

  async at(group: number, type: string, stateKey: string, field: string): Promise<string | undefined> {
    const at = `${group}\u0000${type}\u0000${stateKey}\u0000${field}`;
    if (this.values.has(at)) return this.values.get(at);
    const value = await this.content(await stateEntryIn(this.tx, group, type, stateKey, this.groups), field);
    this.values.set(at, value);
    return value;
  }

  private async content(eventId: string | undefined, field: string): Promise<string | undefined> {
    if (eventId === undefined) return undefined;
    const key = `${eventId}\u0000${field}`;
    if (!this.contents.has(key)) {
      const event = await eventsTable.get(this.tx, eventId);
      const value = event?.pdu.content[field];
      this.contents.set(key, typeof value === 'string' ? value : undefined);
    }
    return this.contents.get(key);
  }
}

/** The ids among `eventIds` (events of `roomId`) that the user may see, in order. */
export async function visibleEvents(
  tx: ReadTx,
  roomId: string,
  userId: string,
  eventIds: readonly string[],
): Promise<string[]> {
  const checker = await VisibilityChecker.create(tx, roomId, userId);
  const out: string[] = [];
  for (const id of eventIds) {
    const row = await eventsTable.get(tx, id);
    if (row && row.room_id === roomId && (await checker.canSee(row))) out.push(id);
  }
  return out;
}

/** At most this many of a server's users are looked at per event (a server may have many in a room). */
const MAX_SERVER_USERS = 100;

/**
 * Answers "may this server see that event" for the events a room's other
 * servers fetch from us (`/backfill`, `/get_missing_events`, `/event`): the
 * rules above applied to a server, as the users it has in the room (spec:
 * server-server API, "Retrieving events" and "Backfilling", which serve
 * history "subject to history visibility"; as Synapse's
 * filter_events_for_server). The server may see an event when the
 * visibility at it is `world_readable` or `shared` (it is in the room now:
 * `shared` lets a member see all history), or when one of its users is
 * joined at the event (or invited, under `invited`). What it may not see is
 * served pruned (the redaction algorithm), so that its DAG stays whole.
 * Outliers have no reliable state here and are served whole, as Synapse
 * does; a server's own users' member events are always visible to it.
 */
export class ServerVisibilityChecker {
  private readonly state: StateValues;
  private readonly serverName: string;
  /** The server's users with a membership in the room (any membership: they may have left since). */
  private readonly users: readonly string[];

  private constructor(tx: ReadTx, serverName: string, users: readonly string[]) {
    this.state = new StateValues(tx);
    this.serverName = serverName;
    this.users = users;
  }

  static async create(tx: ReadTx, roomId: string, serverName: string): Promise<ServerVisibilityChecker> {
    const suffix = `:${serverName}`;
    const users: string[] = [];
    for (const membership of ['join', 'invite', 'leave', 'ban', 'knock'] as const) {
      const rows = await membersTable.query(tx, { index: 'room_membership', equals: [roomId, membership] });
      for (const row of rows) if (row.user_id.endsWith(suffix)) users.push(row.user_id);
    }
    return new ServerVisibilityChecker(tx, serverName, users.slice(0, MAX_SERVER_USERS));
  }

  async canSee(row: EventRow): Promise<boolean> {
    if (row.outlier) return true;
    if (row.type === 'm.room.member' && row.state_key?.endsWith(`:${this.serverName}`)) return true;
    const visibility = await this.valueAt(
      row.sg_before,
      'm.room.history_visibility',
      '',
      'history_visibility',
    );
    if (visibility !== 'invited' && visibility !== 'joined') return true;
    for (const user of this.users) {
      const membership = await this.valueAt(row.sg_after, 'm.room.member', user, 'membership');
      if (membership === 'join' || (visibility === 'invited' && membership === 'invite')) return true;
    }
    return false;
  }

  private valueAt(group: number, type: string, stateKey: string, field: string): Promise<string | undefined> {
    return this.state.at(group, type, stateKey, field);
  }
}
