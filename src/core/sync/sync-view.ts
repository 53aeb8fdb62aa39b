// A woken long-poll /sync answered from what the commits since its last
// read placed (storage/commit-log.ts), with no storage request: the common
// case of one new message in a room the user is in, nothing else changed.
//
// The last read (buildSync at position P, nothing for the client) is the
// base. The answer at Q is the base plus the events of (P, Q], and it is given
// only when that is what a read at Q would give:
// - every commit since the read is recorded, whole, in commit order, and
//   touched only tables whose change reaches a sync through the event rows
//   (rooms.COMMITTED_VIEW_TABLES and `tables`), so receipts, memberships,
//   account data, presence, keys and to-device are as at P; a write whose
//   commit failed did not commit (a later commit read the stream counter
//   where it did), took only positions the read saw, or took none and wrote
//   no event (the room rows it wrote are forgotten): a peer whose write
//   fails sends back to storage only the syncs it may have changed;
// - the positioned commits after P follow on each other from P, and each
//   position of (P, Q] is an event row the commits carry, so none is skipped
//   (a message hidden for good) and none is uncommitted (entries are added
//   once committed);
// - every new event of the user's rooms is plain (rooms.plainTimelineRow:
//   not state, not a redaction, not redacted, not a thread root) and its
//   state is the room's current state, in which the user is joined: they may
//   see it (history visibility step 2) and the room's summary did not move;
// - the filter asks for nothing the rows alone cannot give (lazy-loaded
//   members, event filters other than a limit), the typing serial did not
//   move, and the unread counts add to the counts kept at P (unread.ts);
// - a room whose new events pass the timeline limit (a limited timeline,
//   whose state section is the change from the state at P to the state at
//   the timeline's start) was, at P, at the state its new events are on:
//   the log knows the state group after its last event at P
//   (CommitEntry.newestBefore), so the state section is empty.
// Anything else reads storage as before.
import * as rooms from '../rooms/api.ts';
import type { CommitEntry, CommitLog } from '../storage/commit-log.ts';
import { copyOf } from '../storage/copy-row.ts';
import type { Row } from '../storage/port.ts';
import { STREAM_TABLE } from '../storage/stream.ts';
import type { BuiltSync, SyncRequest } from './build-sync.ts';
import type { FilterDefinition } from '../events/filter.ts';
import { filtersEvents } from '../events/filter-match.ts';
import { incrementalRooms } from './room-plan.ts';
import { type SyncContext, syncEvent, timelineLimit } from './sync-context.ts';
import { emptySyncResponse, type JoinedRoom, type SyncResponse } from './sync-response.ts';
import { formatSyncToken } from './sync-token.ts';
import { carryCounts, countsFromMemo, keepCounts, threadedFromMemo, type UnreadMemo } from './unread.ts';

export interface SyncView {
  readonly log: CommitLog;
  /** Tables beyond rooms.COMMITTED_VIEW_TABLES that no sync reads (the federation outbox). */
  readonly tables: ReadonlySet<string>;
  /** A row as of the last commit that touched it, from the store's row cache (Store.peek), when it has it. */
  readonly peek?: (table: string, key: string) => Row | undefined;
}

/** A storage read the view may build on: its result and the log's serial before it began. */
export interface ViewBase {
  readonly built: BuiltSync;
  readonly serial: number;
}

export interface ViewInput {
  readonly view: SyncView;
  readonly base: ViewBase;
  readonly request: SyncRequest;
  readonly typingSerial: number;
  readonly now: number;
  readonly unread: UnreadMemo;
}

/** Whether the filter lets the view answer (see the header). */
function viewable(filter: FilterDefinition): boolean {
  const room = filter.room;
  return (
    !filtersEvents(room?.timeline) &&
    room?.timeline?.lazy_load_members !== true &&
    room?.state?.lazy_load_members !== true &&
    room?.ephemeral === undefined
  );
}

/**
 * Tables a failed write that took no position may have written without
 * stopping the view: those no sync reads, and the room rows, looked up per
 * room (the log and the row cache forget those a failed write touched).
 */
const FAILED_WRITE_TABLES = new Set(
  [...rooms.COMMITTED_VIEW_TABLES].filter((t) => t !== rooms.EVENTS_TABLE && t !== STREAM_TABLE),
);

/** Whether a write whose commit failed left nothing a read at P or later would see that it did not (see the header). */
function leftNothing(
  failed: CommitEntry,
  later: readonly CommitEntry[],
  from: number,
  tables: ReadonlySet<string>,
): boolean {
  if (failed.stream) {
    if (failed.stream.to <= from) return true;
    // Its counter write and the rest went together: a later write that read the counter where it did shows none committed.
    const next = later.find((e) => e.stream);
    return failed.stream.from !== undefined && next?.stream?.from === failed.stream.from;
  }
  return [...failed.tables].every((t) => FAILED_WRITE_TABLES.has(t) || tables.has(t));
}

/**
 * The answer at the newest committed position, or undefined when storage
 * must be read. Its `serial` is the log's when answered (a base for the next).
 */
export function answerFromView(input: ViewInput): ViewBase | undefined {
  const { view, base, request } = input;
  const { built } = base;
  const rooms_ = built.incrementalOnly;
  if (!rooms_ || input.typingSerial !== built.typingSerial || !viewable(request.filter)) return undefined;
  const serial = view.log.serial;
  const entries = view.log.after(base.serial);
  if (!entries) return undefined;
  const from = built.position;
  let to = from;
  const rows = new Map<string, Row>();
  // Per room, the state group after its last event at P, when known.
  const groupsAtFrom = new Map<string, number | undefined>();
  for (const [i, entry] of entries.entries()) {
    if (entry.unknown) {
      if (!leftNothing(entry, entries.slice(i + 1), from, view.tables)) return undefined;
      continue;
    }
    // A commit at or before P was seen whole by the read: nothing in it is new.
    if (entry.stream && entry.stream.to <= from) continue;
    for (const table of entry.tables)
      if (!rooms.COMMITTED_VIEW_TABLES.has(table) && !view.tables.has(table)) return undefined;
    if (entry.tables.has(rooms.EVENTS_TABLE) && !entry.rows) return undefined;
    for (const [id, row] of entry.rows?.get(rooms.EVENTS_TABLE) ?? []) rows.set(id, row);
    // What came before the first commit after P that moved a room's last event;
    // one without positions, which the read may or may not have seen, says nothing.
    for (const [roomId, group] of entry.newestBefore ?? [])
      if (!groupsAtFrom.has(roomId)) groupsAtFrom.set(roomId, entry.stream ? group : undefined);
    if (!entry.stream) continue;
    if (entry.stream.from !== to) return undefined;
    to = entry.stream.to;
  }
  if (to === from) return { built, serial };
  // Per room with new events: its row (its current state group) and the events.
  const byRoom = new Map<string, { room: rooms.RoomRow; list: rooms.EventRow[] }>();
  const positions = new Set<number>();
  for (const row of rows.values() as Iterable<rooms.EventRow>) {
    if (row.stream === undefined || row.stream <= from || row.stream > to) continue;
    positions.add(row.stream);
    if (!rooms_.has(row.room_id)) continue;
    if (!rooms.plainTimelineRow(row)) return undefined;
    // The room's current state group: from a commit since start, else from the row cache.
    const room = (view.log.latest(rooms.ROOMS_TABLE, row.room_id) ??
      view.peek?.(rooms.ROOMS_TABLE, row.room_id)) as rooms.RoomRow | undefined;
    if (!room || room.state_group !== row.sg_before) return undefined;
    const known = byRoom.get(row.room_id) ?? { room, list: [] };
    known.list.push(row);
    byRoom.set(row.room_id, known);
  }
  if (positions.size !== to - from) return undefined;
  const ctx: Pick<SyncContext, 'filter' | 'userId' | 'deviceId'> = request;
  const limit = timelineLimit(ctx as SyncContext);
  if (limit < 1) return undefined;
  const joined: [string, JoinedRoom][] = [];
  const keeps: (() => void)[] = [];
  const byThread = request.filter.room?.timeline?.unread_thread_notifications === true;
  for (const [roomId, { room, list }] of byRoom) {
    const limited = list.length > limit;
    // The state section of a limited timeline is empty only when the room was at P at the state its
    // new events are on: its current state (checked above).
    if (limited && groupsAtFrom.get(roomId) !== room.state_group) return undefined;
    list.sort((a, b) => a.stream! - b.stream!);
    const viewer = { userId: request.userId, deviceId: request.deviceId };
    const entries = list.map((row) => ({
      stream: row.stream!,
      event: rooms.toClientEvent(row, input.now, viewer),
    }));
    // Every new event counts, those left out of the timeline too.
    const recent = { from, entries };
    const shown = entries.slice(-limit);
    let unread: Pick<JoinedRoom, 'unread_notifications' | 'unread_thread_notifications'>;
    if (byThread) {
      const threaded = threadedFromMemo(input.unread, request.userId, roomId, recent, to);
      if (!threaded) return undefined;
      keeps.push(threaded.keep);
      unread = {
        unread_notifications: threaded.result.main,
        unread_thread_notifications: threaded.result.threads,
      };
    } else {
      const counted = countsFromMemo(input.unread, request.userId, roomId, recent);
      if (!counted) return undefined;
      keeps.push(() => keepCounts(input.unread, request.userId, roomId, { ...counted, position: to }));
      unread = { unread_notifications: counted.counts };
    }
    joined.push([
      roomId,
      {
        timeline: {
          events: shown.map((e) => syncEvent(ctx as SyncContext, e.event)),
          limited,
          prev_batch: rooms.makePaginationToken(shown[0]!.stream - 1),
        },
        state: { events: [] },
        ephemeral: { events: [] },
        account_data: { events: [] },
        ...unread,
        summary: {},
      },
    ]);
  }
  // Rooms with nothing new: their counts stand (unread.ts carryCounts).
  const quiet = [...rooms_].filter((roomId) => !byRoom.has(roomId));
  keeps.push(() => carryCounts(input.unread, request.userId, quiet, from, to));
  // Counted for good only now that every room could be answered.
  for (const keep of keeps) keep();
  const response: SyncResponse = {
    ...copyOf(built.response),
    next_batch: formatSyncToken({ stream: to, typing: built.typingSerial }),
  };
  for (const [roomId, room] of joined) response.rooms.join[roomId] = room;
  return { built: { ...built, response, position: to }, serial };
}

/**
 * The base for the client's next sync, the one whose `since` is this
 * answer's next_batch (with the same filter, not full_state): storage would
 * answer it, read at this answer's position, with nothing but the device's
 * key counts, the user's rooms all incremental; the view then adds what
 * committed since, as for a woken sync, and the request reads no storage.
 * Undefined when the answer carried to-device messages: the next sync
 * acknowledges them (SyncKeys.acknowledge), which only a storage read says.
 */
export function nextBase(answer: ViewBase, filter: FilterDefinition): ViewBase | undefined {
  const { built } = answer;
  const { response } = built;
  if (response.to_device.events.length > 0) return undefined;
  // Empty what each position brings; the rest (the key counts, any field
  // always present) stands as at the answer.
  const empty = emptySyncResponse(response.next_batch);
  return {
    serial: answer.serial,
    built: {
      response: {
        ...response,
        rooms: empty.rooms,
        account_data: empty.account_data,
        presence: empty.presence,
        to_device: empty.to_device,
        device_lists: empty.device_lists,
      },
      joinedRooms: built.joinedRooms,
      position: built.position,
      typingSerial: built.typingSerial,
      toDeviceAcknowledged: false,
      incrementalOnly: incrementalRooms(built.joinedRooms, filter.room),
    },
  };
}
