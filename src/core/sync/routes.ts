// The sync module's routes: /sync, notifications, typing, receipts and read markers.
import type { Route } from '../http/route.ts';
import type { Clock } from '../ports.ts';
import { roomTableNames } from '../rooms/api.ts';
import type { Store } from '../storage/port.ts';
import { STREAM_TABLE } from '../storage/stream.ts';
import type { Notifier } from '../events/notifier.ts';
import {
  type FullyReadWriter,
  type SharedReceipt,
  postReadMarkers,
  postReceipt,
} from './receipt-handlers.ts';
import type { SyncKeys } from './build-sync.ts';
import { getEvents } from './events-route.ts';
import { getNotifications } from './notifications-route.ts';
import { roomInitialSync } from './room-initial-sync.ts';
import { createUnreadMemo } from './unread.ts';
import { createFilterCache, createNextBases, type SyncAccounts, getSync } from './sync-handler.ts';
import { syncTableNames } from './tables.ts';
import type { SyncView } from './sync-view.ts';
import { putTyping } from './typing-handler.ts';
import { TypingTracker } from './typing.ts';

export interface SyncDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly notifier: Notifier;
  /** What sync reads and writes in the accounts module (module-adapters.ts syncAccounts). */
  readonly accounts: SyncAccounts & FullyReadWriter;
  /** The keys module's part of /sync (to-device, device lists, key counts). */
  readonly keys: SyncKeys;
  /**
   * The in-memory typing state. The composition root makes it with
   * createTypingTracker and closes it on shutdown (it holds an expiry timer).
   */
  readonly typing: TypingTracker;
  /** What commits placed, to answer woken syncs from memory (sync-view.ts). */
  readonly view?: SyncView;
  /** Told about each m.read receipt of a local user after it was stored (room federation sends it on). */
  readonly receiptSent?: (receipt: SharedReceipt) => void;
}

/** A typing tracker whose changes wake the syncs of the room's members. */
export function createTypingTracker(clock: Clock, notifier: Notifier): TypingTracker {
  return new TypingTracker(clock, (roomId) => notifier.notify({ rooms: [roomId] }));
}

const V3 = '/_matrix/client/v3';

export function syncRoutes(deps: SyncDeps): Route[] {
  const tables = [
    STREAM_TABLE,
    ...roomTableNames,
    ...syncTableNames,
    ...deps.accounts.tables,
    ...deps.keys.tables,
  ];
  const syncDeps = {
    ...deps,
    tables: [...new Set(tables)],
    unread: createUnreadMemo(),
    next: createNextBases(),
    filters: createFilterCache(),
  };
  const receiptDeps = { ...deps, fullyRead: deps.accounts };
  return [
    { method: 'GET', path: `${V3}/sync`, auth: 'required', handler: (ctx) => getSync(syncDeps, ctx) },
    { method: 'GET', path: `${V3}/events`, auth: 'required', handler: (ctx) => getEvents(deps, ctx) },
    {
      method: 'GET',
      path: `${V3}/notifications`,
      auth: 'required',
      handler: (ctx) => getNotifications(deps, ctx),
    },
    {
      method: 'GET',
      path: `${V3}/rooms/{roomId}/initialSync`,
      auth: 'required',
      handler: (ctx) => roomInitialSync(syncDeps, ctx),
    },
    {
      method: 'PUT',
      path: `${V3}/rooms/{roomId}/typing/{userId}`,
      auth: 'required',
      handler: (ctx) => putTyping(deps, ctx),
    },
    {
      method: 'POST',
      path: `${V3}/rooms/{roomId}/receipt/{receiptType}/{eventId}`,
      auth: 'required',
      handler: (ctx) => postReceipt(receiptDeps, ctx),
    },
    {
      method: 'POST',
      path: `${V3}/rooms/{roomId}/read_markers`,
      auth: 'required',
      handler: (ctx) => postReadMarkers(receiptDeps, ctx),
    },
  ];
}
