// Computes one /sync response inside one read transaction (spec §11.3
// "Syncing"). The algorithm, in the spirit of Synapse's and Dendrite's:
//   1. Read the stream position P the response describes (next_batch).
//   2. The user's membership changes after `since` (all memberships for an
//      initial sync) sort rooms into join (newly joined: full state), invite,
//      leave (with the timeline up to the leave) and knock.
//   3. Rooms joined before `since` are included when they have timeline
//      events, receipts, typing changes or room account data after `since`
//      (all of them for an initial or full_state sync).
//   4. Global account data, presence, and the end-to-end encryption parts
//      (to-device messages, device lists, key counts) from the keys module.
import * as rooms from '../rooms/api.ts';
import type { ReadTx } from '../storage/port.ts';
import { currentStreamPosition } from '../storage/stream.ts';
import { ephemeralByRoom } from './ephemeral.ts';
import type { FilterDefinition } from '../events/filter.ts';
import { applyFilter } from '../events/filter-match.ts';
import { type RoomPlan, planRooms } from './room-plan.ts';
import { type RoomExtras, invitedRoom, joinedRoom, knockedRoom, leftRoom } from './room-sections.ts';
import type { SyncContext } from './sync-context.ts';
import { type SyncResponse, emptySyncResponse } from './sync-response.ts';
import { type SyncToken, formatSyncToken } from './sync-token.ts';
import type { TypingTracker } from './typing.ts';
import { carryCounts, type UnreadMemo } from './unread.ts';

export interface AccountDataEvent {
  readonly type: string;
  readonly content: unknown;
}

/** What sync reads from the accounts module, inside the same transaction. */
export interface AccountReads {
  /** Global and per-room account data changed after `since` (0: all of it). */
  accountDataSince(
    tx: ReadTx,
    userId: string,
    since: number,
  ): Promise<{ global: AccountDataEvent[]; rooms: Map<string, AccountDataEvent[]> }>;
  /** m.presence events of users the user shares a room with (and their own), changed after `since`. */
  presenceSince(tx: ReadTx, userId: string, since: number): Promise<{ type: string; sender?: string }[]>;
}

/** What sync reads from the keys module, inside the same transaction (keys/api.ts KeysSync). */
export interface SyncKeys {
  readonly tables: readonly string[];
  section(
    tx: ReadTx,
    request: { userId: string; deviceId: string; since: number | undefined; position: number },
  ): Promise<{
    toDevice: unknown[];
    changed: string[];
    left: string[];
    oneTimeKeyCounts: Record<string, number>;
    unusedFallbackKeyTypes: string[];
    acknowledged: boolean;
  }>;
  /** Deletes to-device messages the client acknowledged by syncing with `since`. */
  acknowledge(userId: string, deviceId: string, since: number): Promise<void>;
}

export interface SyncRequest {
  readonly userId: string;
  readonly deviceId: string;
  readonly since?: SyncToken;
  readonly fullState: boolean;
  readonly filter: FilterDefinition;
}

export interface BuildInput {
  readonly tx: ReadTx;
  readonly request: SyncRequest;
  readonly typing: TypingTracker;
  readonly accounts: AccountReads;
  readonly keys: SyncKeys;
  readonly now: number;
  /** The unread counts of earlier syncs, to add the new events to instead of walking back again. */
  readonly unread?: UnreadMemo;
}

export interface BuiltSync {
  readonly response: SyncResponse;
  /** Rooms the user is joined to (what the long-poll listens on). */
  readonly joinedRooms: ReadonlySet<string>;
  readonly position: number;
  readonly typingSerial: number;
  /** The client acknowledged to-device messages with its `since` (SyncKeys.acknowledge them). */
  readonly toDeviceAcknowledged: boolean;
  /** Rooms synced incrementally, when they are all the plan holds (no room joined, left, invited or knocked since). */
  readonly incrementalOnly?: ReadonlySet<string>;
}

/** Builds the response at the current stream position (see the header for the steps). */
export async function buildSync(input: BuildInput): Promise<BuiltSync> {
  const { tx, request, typing } = input;
  // 1. Typing is read in the same synchronous step as the position, so both describe one moment.
  const typingSerial = typing.serial;
  const position = await currentStreamPosition(tx);
  // A token from the future (the store was replaced) degrades to an initial sync.
  const since = request.since && request.since.stream <= position ? request.since : undefined;
  const ctx: SyncContext = {
    tx,
    userId: request.userId,
    deviceId: request.deviceId,
    now: input.now,
    filter: request.filter,
    position,
    ...(input.unread ? { unread: input.unread } : {}),
  };
  const response = emptySyncResponse(formatSyncToken({ stream: position, typing: typingSerial }));
  const plan = await planRooms(tx, request, since?.stream);
  const [ephemeral, accountData, presence, withEvents, keys] = await Promise.all([
    ephemeralByRoom(ctx, {
      typing,
      typingSince: since?.typing,
      since: since?.stream,
      fullRooms: [...plan.full.keys()],
      incrementalRooms: plan.incremental,
    }),
    input.accounts.accountDataSince(tx, request.userId, since?.stream ?? 0),
    input.accounts.presenceSince(tx, request.userId, since?.stream ?? 0),
    since && plan.incremental.length > 0
      ? rooms.roomsWithEventsSince(tx, since.stream, position)
      : new Set<string>(),
    input.keys.section(tx, {
      userId: request.userId,
      deviceId: request.deviceId,
      since: since?.stream,
      position,
    }),
  ]);
  // 3. Only rooms with something new are read further.
  const active = (roomId: string) =>
    withEvents.has(roomId) || ephemeral.has(roomId) || accountData.rooms.has(roomId);
  const activePlan = { ...plan, incremental: plan.incremental.filter(active) };
  const extras = (roomId: string): RoomExtras => ({
    ephemeral: ephemeral.get(roomId) ?? [],
    accountData: accountData.rooms.get(roomId) ?? [],
  });
  await fillRooms(ctx, response, activePlan, since?.stream, extras);
  // Rooms with no event and no receipt since: their unread counts stand (unread.ts).
  if (since && input.unread && request.filter.room?.ephemeral === undefined) {
    const quiet = plan.incremental.filter((r) => !withEvents.has(r) && !ephemeral.has(r));
    carryCounts(input.unread, request.userId, quiet, since.stream, position);
  }
  // 4.
  response.account_data.events = applyFilter(request.filter.account_data, accountData.global);
  response.presence.events = applyFilter(request.filter.presence, presence);
  if (keys) {
    response.to_device.events = keys.toDevice;
    response.device_lists = { changed: keys.changed, left: keys.left };
    response.device_one_time_keys_count = keys.oneTimeKeyCounts;
    response.device_unused_fallback_key_types = keys.unusedFallbackKeyTypes;
  }
  return {
    response,
    joinedRooms: plan.joined,
    position,
    typingSerial,
    toDeviceAcknowledged: keys?.acknowledged ?? false,
    ...(plan.full.size + plan.left.size + plan.invited.length + plan.knocked.length === 0 && {
      incrementalOnly: new Set(plan.incremental),
    }),
  };
}

/**
 * Rooms read at once. Each room's reads are a chain of a dozen small ones;
 * a few dozen chains keep IndexedDB's queue full, while starting every room
 * at once (1,000 rooms) keeps every room's rows and half-built sections alive
 * together until the last finishes: more garbage collection work per room the
 * more rooms there are, and a peak of memory that grows with them. Measured
 * (bench/growth.bench.ts world, CPU time of an initial sync of 1,000 rooms,
 * Node, load average 17): about 25 % less than all at once, and no change at 100.
 */
const ROOMS_AT_ONCE = 32;

/** Runs `tasks`, at most `limit` at a time. */
async function atMost(limit: number, tasks: readonly (() => Promise<void>)[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

/** Fills rooms.{join,leave,invite,knock}, ROOMS_AT_ONCE rooms' reads at a time. */
async function fillRooms(
  ctx: SyncContext,
  response: SyncResponse,
  plan: RoomPlan,
  since: number | undefined,
  extras: (roomId: string) => RoomExtras,
): Promise<void> {
  const { join, leave, invite, knock } = response.rooms;
  const to = ctx.position;
  const incrementalFrom = since ?? rooms.TIMELINE_START;
  const tasks: (() => Promise<void>)[] = [
    ...[...plan.full].map(([roomId, from]) => async () => {
      const room = await joinedRoom(ctx, roomId, { from, to, fullState: true }, extras(roomId));
      if (room) join[roomId] = room;
    }),
    ...plan.incremental.map((roomId) => async () => {
      const room = await joinedRoom(
        ctx,
        roomId,
        { from: incrementalFrom, to, fullState: false },
        extras(roomId),
      );
      if (room) join[roomId] = room;
    }),
    ...[...plan.left].map(([roomId, leftAt]) => async () => {
      const range = { from: incrementalFrom, to: leftAt, fullState: since === undefined };
      leave[roomId] = await leftRoom(ctx, roomId, range, extras(roomId));
    }),
    ...plan.invited.map((roomId) => async () => {
      invite[roomId] = await invitedRoom(ctx, roomId);
    }),
    ...plan.knocked.map((roomId) => async () => {
      knock[roomId] = await knockedRoom(ctx, roomId);
    }),
  ];
  await atMost(ROOMS_AT_ONCE, tasks);
}
