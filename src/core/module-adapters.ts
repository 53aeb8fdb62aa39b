// How the homeserver lets its modules call each other: each module states
// what it needs in its deps type, and these adapters answer with the other
// modules' api.ts functions. Only homeserver.ts uses them.
import * as accounts from './accounts/api.ts';
import type { Notifier } from './events/notifier.ts';
import type { KeysAccounts, KeysRooms } from './keys/api.ts';
import type { Clock, Logger } from './ports.ts';
import * as rooms from './rooms/api.ts';
import type { ReadTx, Store } from './storage/port.ts';
import type { SyncDeps } from './sync/api.ts';

interface AdapterDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly notifier: Notifier;
}

/** What rooms reads from accounts: profiles for member events, and whether an invitee exists. */
export function roomAccounts(deps: AdapterDeps): rooms.AccountsForRooms {
  return {
    profileOf: (userId) =>
      deps.store.read(accounts.accountTableNames, (tx) => accounts.getProfile(tx, userId)),
    userExists: (userId) =>
      deps.store.read(accounts.accountTableNames, (tx) => accounts.userExists(tx, userId)),
  };
}

/** Whether two users are joined to a common room (the audience of presence). */
async function shareARoom(tx: ReadTx, mine: ReadonlySet<string>, other: string): Promise<boolean> {
  return (await rooms.joinedRoomIds(tx, other)).some((roomId) => mine.has(roomId));
}

/** What sync reads and writes in accounts. */
export function syncAccounts(deps: AdapterDeps): SyncDeps['accounts'] {
  return {
    tables: accounts.accountTableNames,
    getFilter: accounts.getFilter,
    async accountDataSince(tx, userId, since) {
      const changes = await accounts.accountDataSince(tx, userId, since);
      return { global: changes.global, rooms: new Map(Object.entries(changes.rooms)) };
    },
    async presenceSince(tx, userId, since) {
      const mine = new Set(await rooms.joinedRoomIds(tx, userId));
      const events = await accounts.presenceSince(tx, since, deps.clock.now());
      const visible = [];
      for (const event of events) {
        if (event.sender === userId || (await shareARoom(tx, mine, event.sender))) visible.push(event);
      }
      return visible;
    },
    async setPresence(userId, presence) {
      if (await accounts.updatePresence(deps.store, userId, presence, undefined, deps.clock.now())) {
        deps.notifier.notify({ everyone: true });
      }
    },
    async setFullyRead(tx, userId, roomId, eventId) {
      await accounts.putAccountData(tx, userId, roomId, 'm.fully_read', { event_id: eventId });
    },
  };
}

/** What the keys module reads in rooms: who shares a room with whom, and membership changes. */
export function keysRooms(): KeysRooms {
  return {
    tables: rooms.roomTableNames,
    joinedRoomIds: rooms.joinedRoomIds,
    joinedMembers: rooms.joinedMembers,
    async userRoomsSince(tx, userId, since) {
      const changes = await rooms.userRoomsSince(tx, userId, since);
      return changes.map((c) => ({ roomId: c.roomId, joined: c.membership === 'join' }));
    },
    roomsWithEventsSince: rooms.roomsWithEventsSince,
    memberChangesBetween: rooms.memberChangesBetween,
  };
}

/** What the keys module reads in accounts: a user's devices, and user-interactive auth. */
export function keysAccounts(
  deps: AdapterDeps & { serverName: string; randomBytes: (n: number) => Uint8Array },
): KeysAccounts {
  return {
    tables: accounts.accountTableNames,
    async devices(tx, userId) {
      const rows = await accounts.listDevices(tx, userId);
      return rows.map((d) => ({
        deviceId: d.device_id,
        ...(d.display_name !== undefined && { displayName: d.display_name }),
      }));
    },
    async authenticate(userId, purpose, body) {
      const request = { purpose, flows: [['m.login.password' as const]], userId };
      const outcome = await accounts.userInteractiveAuth(deps, request, body);
      return outcome.done ? undefined : outcome.response;
    },
  };
}

/** Sends membership changes of one user into rooms one by one; a room that refuses is logged and skipped. */
async function changeEach(
  roomsModule: rooms.Rooms,
  logger: Logger,
  roomIds: readonly string[],
  request: (roomId: string) => rooms.MembershipRequest,
): Promise<void> {
  for (const roomId of roomIds) {
    try {
      await roomsModule.changeMembership(request(roomId));
    } catch (err) {
      logger.warn('membership change not sent', {
        roomId,
        message: err instanceof Error ? err.message : String(err),
      });
    }
  }
}

/**
 * Spec "Events on Change of Profile Information": a new displayname or avatar
 * is sent as a fresh join event into every room the user is joined to. A room
 * that refuses (the user left meanwhile) is skipped, not an error of the
 * profile change.
 */
export function profilePropagation(
  store: Store,
  roomsModule: rooms.Rooms,
  logger: Logger,
): (userId: string) => Promise<void> {
  return async (userId) => {
    const joined = await store.read(rooms.roomTableNames, (tx) => rooms.joinedRoomIds(tx, userId));
    await changeEach(roomsModule, logger, joined, (roomId) => ({
      roomId,
      sender: userId,
      target: userId,
      membership: 'join',
      from: ['join'],
    }));
  };
}

/** A deactivated user leaves every room and declines every invite (spec: POST /account/deactivate). */
export function leaveAllRooms(
  store: Store,
  roomsModule: rooms.Rooms,
  logger: Logger,
): (userId: string) => Promise<void> {
  return async (userId) => {
    const memberships = await store.read(rooms.roomTableNames, (tx) => rooms.userRoomsSince(tx, userId, 0));
    const active = memberships
      .filter((m) => ['join', 'invite', 'knock'].includes(m.membership))
      .map((m) => m.roomId);
    await changeEach(roomsModule, logger, active, (roomId) => ({
      roomId,
      sender: userId,
      target: userId,
      membership: 'leave',
      from: ['join', 'invite', 'knock'],
    }));
  };
}
