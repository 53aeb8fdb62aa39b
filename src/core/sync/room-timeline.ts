// The timeline and state sections of a room in /sync (spec §11.3: "state:
// updates to the state, between the time indicated by the since parameter,
// and the start of the timeline (or all state up to the start of the
// timeline, if since is not given, or full_state is true)").
import type { StateKey } from '../protocol/types.ts';
import { splitStateKey, stateKeyOf } from '../protocol/types.ts';
import * as rooms from '../rooms/api.ts';
import { applyFilter, filtersEvents } from '../events/filter-match.ts';
import { type SyncContext, syncEvent, timelineLimit } from './sync-context.ts';
import type { Timeline } from './sync-response.ts';
import type { RecentEvents } from './unread.ts';

export interface TimelineRange {
  /** Exclusive lower bound: the since position (rooms.TIMELINE_START for everything). */
  readonly from: number;
  /** Inclusive upper bound: the response position, or the user's leave. */
  readonly to: number;
  /** Send all state at the start of the timeline instead of the change since `from`. */
  readonly fullState: boolean;
}

/** A room's timeline over a range, as the state section reads it. */
interface ShownTimeline extends Pick<rooms.TimelineSlice, 'limited' | 'hidden'> {
  readonly roomId: string;
  readonly range: TimelineRange;
  /** The position just before the first timeline event (the range's end if none). */
  readonly start: number;
  readonly events: readonly rooms.ClientEvent[];
}

export interface RoomSections {
  readonly timeline: Timeline;
  readonly state: unknown[];
  /** Client events of the timeline (before event_fields), for member checks. */
  readonly events: readonly rooms.ClientEvent[];
  /** Every event of the range's end, when the timeline filter leaves every event in (for unread counts). */
  readonly recent?: RecentEvents;
}

/** Timeline and state of one room over a range. */
export async function roomSections(
  ctx: SyncContext,
  roomId: string,
  range: TimelineRange,
): Promise<RoomSections> {
  const filter = ctx.filter.room?.timeline;
  const slice = await rooms.timelineSlice(ctx.tx, roomId, {
    fromStream: range.from,
    toStream: range.to,
    limit: timelineLimit(ctx),
    backwards: true,
    now: ctx.now,
    viewer: { userId: ctx.userId, deviceId: ctx.deviceId },
    ...(filter ? { filter } : {}),
  });
  const first = slice.events[0];
  // The state section describes the room just before the first timeline event.
  const start = first ? first.stream - 1 : range.to;
  const events = slice.events.map((e) => e.event);
  const state = await stateSection(ctx, {
    roomId,
    range,
    start,
    events,
    limited: slice.limited,
    hidden: slice.hidden,
  });
  // A whole room (initial sync, newly joined) whose timeline does not reach
  // its creation has earlier history, held or still to be backfilled from
  // other servers: saying so makes clients page back (matrix-js-sdk keeps
  // the back-pagination token of a room it knew as an invite only when the
  // timeline is limited).
  const unreached = range.fullState && !slice.limited && events[0]?.type !== 'm.room.create';
  return {
    timeline: {
      events: events.map((e) => syncEvent(ctx, e)),
      limited: slice.limited || unreached,
      prev_batch: rooms.makePaginationToken(start),
    },
    state: state.map((e) => syncEvent(ctx, e)),
    events,
    ...(filtersEvents(filter)
      ? {}
      : { recent: { from: slice.limited ? start : range.from, entries: slice.events } }),
  };
}

/** State ids at `start` that the client lacks: all of them, or those changed since `from`. */
async function stateIdsAtStartToSend(
  ctx: SyncContext,
  { roomId, range, start, limited }: ShownTimeline,
  atStart: () => Promise<Map<StateKey, string>>,
): Promise<Map<StateKey, string>> {
  if (range.fullState) return new Map(await atStart());
  // Unless events were skipped (a limited or filtered timeline), the client's
  // state at `from` already is the state at the start of the timeline.
  const skipped = limited || filtersEvents(ctx.filter.room?.timeline);
  if (!skipped || start <= range.from) return new Map();
  const [now, before] = await Promise.all([atStart(), rooms.stateIdsAtStream(ctx.tx, roomId, range.from)]);
  const send = new Map<StateKey, string>();
  for (const [key, id] of now) if (before.get(key) !== id) send.set(key, id);
  return send;
}

/**
 * The state ids to send: those at the start of the timeline the client
 * lacks and, when history visibility hid some of the timeline's range from
 * the user (one who left and joined again), the state those hidden events
 * set by the range's end: the client learns it from neither the state at the
 * start nor the timeline, and would keep the old name, topic or members.
 */
async function stateIdsToSend(
  ctx: SyncContext,
  shown: ShownTimeline,
): Promise<{ send: Map<StateKey, string>; atStart: () => Promise<Map<StateKey, string>> }> {
  const { roomId, range, start } = shown;
  let atStartCache: Promise<Map<StateKey, string>> | undefined;
  const atStart = () => (atStartCache ??= rooms.stateIdsAtStream(ctx.tx, roomId, start));
  const send = await stateIdsAtStartToSend(ctx, shown, atStart);
  if (shown.hidden) {
    const [initial, end] = await Promise.all([atStart(), rooms.stateIdsAtStream(ctx.tx, roomId, range.to)]);
    const inTimeline = new Set(shown.events.map((e) => e.event_id));
    for (const [key, id] of end) if (initial.get(key) !== id && !inTimeline.has(id)) send.set(key, id);
  }
  return { send, atStart };
}

/**
 * The state section: state ids to send, filtered by the state filter, with
 * lazy-loaded members (spec "Lazy-loading room members": only the members
 * that sent timeline events, plus the user's own on a full-state sync).
 */
async function stateSection(ctx: SyncContext, shown: ShownTimeline): Promise<rooms.ClientEvent[]> {
  const filter = ctx.filter.room?.state;
  const { send, atStart } = await stateIdsToSend(ctx, shown);
  if (filter?.lazy_load_members) {
    const senders = new Set(shown.events.map((e) => e.sender));
    if (shown.range.fullState) senders.add(ctx.userId);
    for (const key of [...send.keys()]) {
      const [type, stateKey] = splitStateKey(key);
      if (type === 'm.room.member' && !senders.has(stateKey)) send.delete(key);
    }
    const missing = [...senders].map((s) => stateKeyOf('m.room.member', s)).filter((k) => !send.has(k));
    if (missing.length > 0) {
      const state = await atStart();
      for (const key of missing) {
        const id = state.get(key);
        if (id !== undefined) send.set(key, id);
      }
    }
  }
  return applyFilter(filter, await rooms.eventsByIds(ctx.tx, [...send.values()], ctx.now));
}
