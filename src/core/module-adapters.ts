// How the homeserver lets its modules call each other: each module states
// the role-named interfaces it needs in its deps type, and these adapters
// answer them with the other modules' api.ts functions. They make nothing:
// homeserver.ts makes the modules and passes these in. Only it uses them.
import * as accounts from './accounts/api.ts';
import type { Notifier } from './events/notifier.ts';
import type { EduSinks, Federation, FederationRoute } from './federation/api.ts';
import type { KeysAccounts, KeysFederation, KeysModule, KeysRooms } from './keys/api.ts';
import type { Clock, Pbkdf2Sha256 } from './ports.ts';
import type { JsonObject } from './protocol/types.ts';
import * as rooms from './rooms/api.ts';
import type { ReadTx, Store } from './storage/port.ts';
import { putRemoteReceipts, remoteReceiptTables, type SyncDeps, type TypingTracker } from './sync/api.ts';

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

/** What federation's query/profile serves: a local user's whole profile, custom fields too (spec v1.16). */
export function federationProfiles(deps: AdapterDeps): (userId: string) => Promise<JsonObject | undefined> {
  // Stored profiles came in as JSON bodies, so every value is JSON.
  return (userId) =>
    deps.store.read(
      accounts.accountTableNames,
      async (tx) => (await accounts.getFullProfile(tx, userId)) as JsonObject | undefined,
    );
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
  deps: AdapterDeps & { serverName: string; randomBytes: (n: number) => Uint8Array; pbkdf2: Pbkdf2Sha256 },
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

/** What the keys module sends and asks over federation: the persisted outbox and calls to other servers. */
export function keysFederation(federation: Federation): KeysFederation {
  return {
    tables: federation.outboxTables,
    queueEdu: federation.queueEdu,
    wake: federation.wake,
    get: (server, path, timeoutMs) => federation.client.get(server, path, {}, timeoutMs),
    post: (server, path, body, timeoutMs) => federation.client.post(server, path, body, timeoutMs),
  };
}

/** The keys module's endpoints as federation routes (a body that is no JSON object reads as `{}`). */
export function keysServerRoutes(routes: KeysModule['server']['routes']): FederationRoute[] {
  return routes.map((route) => ({
    method: route.method,
    path: route.path,
    handler: async (ctx) => {
      const body = ctx.req.body;
      const json = body && !(body instanceof Uint8Array) ? body : {};
      return { status: 200, body: await route.handler(ctx.origin, ctx.params, json) };
    },
  }));
}

/**
 * The sinks for incoming EDUs (federation/edus.ts): one transaction's typing,
 * receipts and presence together. Receipts (the sync module's) and presence
 * (the accounts module's) are stored in one store transaction, each through
 * its module's api (room federation does not know them), typing goes to the
 * in-memory typing tracker, and syncs are woken once, after the commit.
 */
export function eduSinks(deps: AdapterDeps & { readonly typing: TypingTracker }): EduSinks {
  const tables = [...new Set([...remoteReceiptTables, ...accounts.presenceTables])];
  return {
    async ephemeral({ typing, receipts, presence }) {
      const now = deps.clock.now();
      const changed =
        receipts.length + presence.length === 0
          ? { rooms: [], presence: false }
          : await deps.store.write(tables, async (tx) => {
              const rooms = await putRemoteReceipts(tx, receipts);
              let presenceChanged = false;
              for (const p of presence) {
                const at = now - p.lastActiveAgo;
                if (
                  (await accounts.setPresence(tx, p.userId, p.presence, p.statusMsg ?? null, at)) !==
                  undefined
                )
                  presenceChanged = true;
              }
              return { rooms, presence: presenceChanged };
            });
      // The tracker wakes the rooms whose typing changed, in this same tick as the notice below.
      for (const t of typing) deps.typing.set(t.roomId, t.userId, t.typing);
      if (changed.presence) deps.notifier.notify({ everyone: true });
      else if (changed.rooms.length > 0) deps.notifier.notify({ rooms: changed.rooms });
    },
  };
}

/** GET /_matrix/federation/v1/openid/userinfo (spec: server-server "OpenID"), answered by the accounts module. */
export function openIdServerRoute(deps: AdapterDeps): FederationRoute {
  return {
    method: 'GET',
    path: '/_matrix/federation/v1/openid/userinfo',
    async handler(ctx) {
      const raw = ctx.req.query?.access_token;
      const token = typeof raw === 'string' ? raw : '';
      return { status: 200, body: await accounts.openIdUserInfo(deps.store, token, deps.clock.now()) };
    },
  };
}
