// What every part of one sync computation shares: the read transaction, the
// user, the filter and the stream position the response describes.
import type { ReadTx } from '../storage/port.ts';
import type { FilterDefinition } from '../events/filter.ts';
import { projectFields } from '../events/filter-match.ts';
import type { UnreadMemo } from './unread.ts';

export interface SyncContext {
  readonly tx: ReadTx;
  readonly userId: string;
  readonly deviceId: string;
  /** For unsigned.age. */
  readonly now: number;
  readonly filter: FilterDefinition;
  /** The stream position the response is computed at (its next_batch). */
  readonly position: number;
  /** The unread counts of the user's last syncs (unread.ts), when the caller keeps them. */
  readonly unread?: UnreadMemo;
}

/** Timeline limit when the filter sets none (Synapse's default). */
export const DEFAULT_TIMELINE_LIMIT = 10;
/** Upper bound on a filter's timeline limit, so one sync stays bounded. */
export const MAX_TIMELINE_LIMIT = 500;

export function timelineLimit(ctx: SyncContext): number {
  return Math.min(ctx.filter.room?.timeline?.limit ?? DEFAULT_TIMELINE_LIMIT, MAX_TIMELINE_LIMIT);
}

/**
 * A room event as sync returns it: the spec's ClientEventWithoutRoomID (the
 * room is the key it is listed under), cut down to the filter's event_fields.
 */
export function syncEvent(ctx: SyncContext, event: object): unknown {
  const { room_id: _roomId, ...rest } = event as Record<string, unknown>;
  return projectFields(rest, ctx.filter.event_fields);
}
