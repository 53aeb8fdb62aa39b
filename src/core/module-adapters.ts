// How the homeserver lets its modules call each other: each module states
// what it needs in its deps type, and these adapters answer with the other
// modules' api.ts functions. Only homeserver.ts uses them.
import * as accounts from './accounts/api.ts';
import { PRESENCE } from './accounts/tables.ts';
import type { Clock } from './ports.ts';
import * as rooms from './rooms/api.ts';
import type { RoomDeps } from './rooms/deps.ts';
import type { ReadTx, Store } from './storage/port.ts';
import { STREAM_TABLE } from './storage/stream.ts';
import type { Notifier } from './sync/notifier.ts';
import type { SyncDeps } from './sync/routes.ts';

interface AdapterDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly notifier: Notifier;
}

/** What rooms reads from accounts: profiles for member events, and whether an invitee exists. */
export function roomAccounts(deps: AdapterDeps): Pick<RoomDeps, 'profileOf' | 'userExists'> {
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
      const now = deps.clock.now();
      const changed = await deps.store.write([PRESENCE, STREAM_TABLE], (tx) =>
        accounts.setPresence(tx, userId, presence, undefined, now),
      );
      if (changed !== undefined) deps.notifier.notify({ everyone: true });
    },
    async setFullyRead(tx, userId, roomId, eventId) {
      await accounts.putAccountData(tx, userId, roomId, 'm.fully_read', { event_id: eventId });
    },
  };
}
