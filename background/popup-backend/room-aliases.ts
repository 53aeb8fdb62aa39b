// The local aliases of the rooms the local account has joined, and whether
// each room is published in the directory: read and changed through the
// homeserver's client-server API as that account (spec: "Room aliases",
// "Room discovery"), so the room's power levels decide, as they would in a
// client.
import type { AliasList, RoomAliases } from '../../src/platform/web/popup-messages.ts';
import { callHomeserver, callHomeserverRaw, type HomeserverHandle } from './hs-call.ts';
import type { AccountSession } from './local-account.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

/** An alias localpart the user typed is not valid; the message says why. */
export class InvalidAliasError extends Error {
  override readonly name = 'InvalidAliasError';
}

export interface RoomAliasDeps {
  readonly homeserver: Promise<HomeserverHandle & { readonly serverName: string }>;
  readonly session: () => Promise<AccountSession | undefined>;
}

export interface RoomAliasesApi {
  list(): Promise<AliasList>;
  add(localpart: string, roomId: string): Promise<AliasList>;
  remove(alias: string): Promise<AliasList>;
  setPublished(roomId: string, published: boolean): Promise<AliasList>;
}

const NO_ACCOUNT: AliasList = {
  state: 'unavailable',
  reason: 'Create the local account first: aliases are managed as that account.',
  rooms: [],
};

export function createRoomAliases(deps: RoomAliasDeps): RoomAliasesApi {
  /** Runs `fn` as the local account, then lists again; without the account nothing is changed. */
  const asAccount =
    <A extends unknown[]>(fn: (session: AccountSession, ...args: A) => Promise<void>) =>
    async (...args: A): Promise<AliasList> => {
      const session = await deps.session();
      if (!session) return NO_ACCOUNT;
      await fn(session, ...args);
      return list();
    };
  const call = async (session: AccountSession, method: 'PUT' | 'DELETE', path: string, body?: unknown) => {
    await callHomeserver(await deps.homeserver, { method, path, body, accessToken: session.accessToken });
  };
  const list = async (): Promise<AliasList> => {
    const session = await deps.session();
    if (!session) return NO_ACCOUNT;
    const hs = await deps.homeserver;
    const joined = await callHomeserver(hs, {
      method: 'GET',
      path: `${V3}/joined_rooms`,
      accessToken: session.accessToken,
    });
    const roomIds: string[] = Array.isArray(joined.joined_rooms) ? joined.joined_rooms : [];
    const rooms = await Promise.all(roomIds.map((roomId) => readRoom(hs, session, roomId)));
    return { state: 'ready', serverName: hs.serverName, rooms };
  };
  return {
    list,
    add: asAccount(async (session, localpart: string, roomId: string) => {
      const alias = `#${checkLocalpart(localpart)}:${(await deps.homeserver).serverName}`;
      await call(session, 'PUT', `${V3}/directory/room/${enc(alias)}`, { room_id: roomId });
    }),
    remove: asAccount(async (session, alias: string) => {
      await call(session, 'DELETE', `${V3}/directory/room/${enc(alias)}`);
    }),
    setPublished: asAccount(async (session, roomId: string, published: boolean) => {
      const visibility = published ? 'public' : 'private';
      await call(session, 'PUT', `${V3}/directory/list/room/${enc(roomId)}`, { visibility });
    }),
  };
}

async function readRoom(hs: HomeserverHandle, session: AccountSession, roomId: string): Promise<RoomAliases> {
  const get = (path: string) =>
    callHomeserverRaw(hs, { method: 'GET', path, accessToken: session.accessToken });
  const [aliases, visibility, name] = await Promise.all([
    get(`${V3}/rooms/${enc(roomId)}/aliases`),
    get(`${V3}/directory/list/room/${enc(roomId)}`),
    get(`${V3}/rooms/${enc(roomId)}/state/m.room.name/`),
  ]);
  return {
    roomId,
    name: name.status === 200 && typeof name.body?.name === 'string' ? name.body.name : null,
    aliases: aliases.status === 200 && Array.isArray(aliases.body?.aliases) ? aliases.body.aliases : [],
    published: visibility.status === 200 && visibility.body?.visibility === 'public',
  };
}

/** An alias localpart: what comes between `#` and `:server` (spec: appendices, "Room aliases"). */
function checkLocalpart(input: string): string {
  const localpart = input.trim().replace(/^#/, '');
  if (localpart === '') throw new InvalidAliasError('Type the alias, like "team-chat"');
  if (/[:\s]/.test(localpart)) throw new InvalidAliasError('An alias cannot contain ":" or spaces');
  if (localpart.length > 200) throw new InvalidAliasError('That alias is too long');
  return localpart;
}
