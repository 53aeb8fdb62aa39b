// The shape of a /sync response (spec §11.3 "GET /_matrix/client/v3/sync").
// The E2EE parts are always present (the keys module fills them): the Rust
// crypto of matrix-js-sdk reads them on every sync.

export type SyncEvent = Record<string, unknown>;

export interface EventList {
  events: unknown[];
}

export interface Timeline {
  events: unknown[];
  limited: boolean;
  prev_batch: string;
}

export interface JoinedRoom {
  timeline: Timeline;
  state: EventList;
  ephemeral: EventList;
  account_data: EventList;
  unread_notifications: { notification_count: number; highlight_count: number };
  /** With the filter's unread_thread_notifications: counts per thread root. */
  unread_thread_notifications?: Record<string, { notification_count: number; highlight_count: number }>;
  summary: Record<string, unknown>;
}

export interface LeftRoom {
  timeline: Timeline;
  state: EventList;
  account_data: EventList;
}

export interface InvitedRoom {
  invite_state: EventList;
}

export interface KnockedRoom {
  knock_state: EventList;
}

export interface SyncResponse {
  next_batch: string;
  rooms: {
    join: Record<string, JoinedRoom>;
    invite: Record<string, InvitedRoom>;
    leave: Record<string, LeftRoom>;
    knock: Record<string, KnockedRoom>;
  };
  account_data: EventList;
  presence: EventList;
  to_device: EventList;
  device_lists: { changed: string[]; left: string[] };
  device_one_time_keys_count: Record<string, number>;
  device_unused_fallback_key_types: string[];
}

export function emptySyncResponse(nextBatch: string): SyncResponse {
  return {
    next_batch: nextBatch,
    rooms: { join: {}, invite: {}, leave: {}, knock: {} },
    account_data: { events: [] },
    presence: { events: [] },
    to_device: { events: [] },
    device_lists: { changed: [], left: [] },
    device_one_time_keys_count: {},
    device_unused_fallback_key_types: [],
  };
}

/** Whether an incremental response carries nothing for the client (then a long-poll keeps waiting). */
export function isEmptySync(r: SyncResponse): boolean {
  const { join, invite, leave, knock } = r.rooms;
  return (
    Object.keys(join).length === 0 &&
    Object.keys(invite).length === 0 &&
    Object.keys(leave).length === 0 &&
    Object.keys(knock).length === 0 &&
    r.account_data.events.length === 0 &&
    r.presence.events.length === 0 &&
    r.to_device.events.length === 0 &&
    r.device_lists.changed.length === 0 &&
    r.device_lists.left.length === 0
  );
}
