// Local aliases for rooms of other servers (issue 4, "Local aliases"): when a
// local user joins a public room whose canonical alias lives on another
// server, this server publishes the same localpart under its own name and
// lists the room in its directory, so others can discover the room via us
// even if the server that created the alias has gone.
import { isValidRoomAlias, parseId } from '../http/matrix-ids.ts';
import type { WriteTx } from '../storage/port.ts';
import { memberRow } from './members-read.ts';
import type { RoomsContext } from './rooms-context.ts';
import { currentStateEvent } from './state-read.ts';
import { aliasesTable, type AliasRow, type DirectoryRow, directoryTable, roomTableNames } from './tables.ts';

/**
 * Publishes `#<localpart of the canonical alias>:<our name>` for the room
 * after `userId` joined it; returns that alias, or undefined when nothing
 * applies. Failures are logged, never thrown: the join already succeeded.
 */
export async function mirrorCanonicalAlias(
  rooms: RoomsContext,
  roomId: string,
  userId: string,
): Promise<string | undefined> {
  const { store, serverName, logger } = rooms.deps;
  try {
    return await store.write(roomTableNames, (tx) => mirror(tx, roomId, userId, serverName));
  } catch (err) {
    logger?.warn('local alias not published', { roomId, error: String(err) });
    return undefined;
  }
}

/**
 * 1. The user is joined and the room is public (join rule `public`).
 * 2. Its canonical alias is valid and on another server.
 * 3. Our alias with the same localpart is free, or already names this room.
 * 4. Publish the alias (the joining user may delete it) and list the room.
 */
async function mirror(tx: WriteTx, roomId: string, userId: string, serverName: string) {
  // 1.
  if ((await memberRow(tx, roomId, userId))?.membership !== 'join') return undefined;
  const joinRule = (await currentStateEvent(tx, roomId, 'm.room.join_rules'))?.pdu.content.join_rule;
  if (joinRule !== 'public') return undefined;
  // 2.
  const canonical = (await currentStateEvent(tx, roomId, 'm.room.canonical_alias'))?.pdu.content.alias;
  if (typeof canonical !== 'string' || !isValidRoomAlias(canonical)) return undefined;
  const { localpart, serverName: aliasServer } = parseId(canonical);
  if (aliasServer === serverName) return undefined;
  // 3.
  const alias = `#${localpart}:${serverName}`;
  const existing = await aliasesTable.get(tx, alias);
  if (existing && existing.room_id !== roomId) return undefined;
  // 4.
  if (!existing) await aliasesTable.put(tx, { alias, room_id: roomId, creator: userId } satisfies AliasRow);
  await directoryTable.put(tx, { room_id: roomId, visibility: 'public' } satisfies DirectoryRow);
  return alias;
}
