// One room's entry in rooms.join / rooms.leave / rooms.invite / rooms.knock.
import * as rooms from '../rooms/api.ts';
import { applyFilter } from '../events/filter-match.ts';
import { type TimelineRange, roomSections } from './room-timeline.ts';
import { type SyncContext, syncEvent } from './sync-context.ts';
import type { InvitedRoom, JoinedRoom, KnockedRoom, LeftRoom } from './sync-response.ts';
import { threadedUnreadCounts, unreadCounts } from './unread.ts';

/** What was collected for all rooms at once and is handed to each room. */
export interface RoomExtras {
  readonly ephemeral: readonly unknown[];
  readonly accountData: readonly { type: string }[];
}

const NO_EXTRAS: RoomExtras = { ephemeral: [], accountData: [] };

function roomAccountData(ctx: SyncContext, extras: RoomExtras): unknown[] {
  return applyFilter(ctx.filter.room?.account_data, extras.accountData);
}

/**
 * A joined room. In an incremental sync (not full state) a room with nothing
 * new is left out (undefined).
 */
export async function joinedRoom(
  ctx: SyncContext,
  roomId: string,
  range: TimelineRange,
  extras: RoomExtras = NO_EXTRAS,
): Promise<JoinedRoom | undefined> {
  const sections = await roomSections(ctx, roomId, range);
  const accountData = roomAccountData(ctx, extras);
  const changed =
    sections.timeline.events.length > 0 ||
    sections.state.length > 0 ||
    extras.ephemeral.length > 0 ||
    accountData.length > 0;
  if (!range.fullState && !changed) return undefined;
  // Summary changes only with membership; send it on full syncs and when members moved.
  const membersMoved =
    range.fullState || sections.events.some((e) => e.type === 'm.room.member') || sections.state.length > 0;
  const byThread = ctx.filter.room?.timeline?.unread_thread_notifications === true;
  const [unread, summary] = await Promise.all([
    byThread
      ? threadedUnreadCounts(ctx, roomId)
      : unreadCounts(ctx, roomId, range.to === ctx.position ? sections.recent : undefined),
    membersMoved ? rooms.roomSummary(ctx.tx, roomId, ctx.userId) : Promise.resolve({}),
  ]);
  return {
    timeline: sections.timeline,
    state: { events: sections.state },
    ephemeral: { events: [...extras.ephemeral] },
    account_data: { events: accountData },
    ...('main' in unread
      ? { unread_notifications: unread.main, unread_thread_notifications: unread.threads }
      : { unread_notifications: unread }),
    summary,
  };
}

/** A room the user left or was banned from: the timeline up to their leave. */
export async function leftRoom(
  ctx: SyncContext,
  roomId: string,
  range: TimelineRange,
  extras: RoomExtras = NO_EXTRAS,
): Promise<LeftRoom> {
  const sections = await roomSections(ctx, roomId, range);
  return {
    timeline: sections.timeline,
    state: { events: sections.state },
    account_data: { events: roomAccountData(ctx, extras) },
  };
}

/** A room the user is invited to: stripped state including the invite itself. */
export async function invitedRoom(ctx: SyncContext, roomId: string): Promise<InvitedRoom> {
  const state = await rooms.strippedState(ctx.tx, roomId, ctx.userId);
  return { invite_state: { events: state.map((e) => syncEvent(ctx, e)) } };
}

/** A room the user knocked on: stripped state including the knock. */
export async function knockedRoom(ctx: SyncContext, roomId: string): Promise<KnockedRoom> {
  const state = await rooms.strippedState(ctx.tx, roomId, ctx.userId);
  return { knock_state: { events: state.map((e) => syncEvent(ctx, e)) } };
}
