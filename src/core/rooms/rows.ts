// Typed reads and writes of the rooms tables for the module's handlers: each
// function names its table and builds its key in one place, so route files
// never call `tx.get/put` on a table name (scripts/module-graph.ts keeps it
// so). The event graph's own writes stay in persist-event.ts and
// persist-remote.ts, its reads in state-read.ts, timeline-read.ts and
// members-read.ts.
import type { ReadTx, WriteTx } from '../storage/port.ts';
import {
  ALIASES,
  type AliasRow,
  DIRECTORY,
  type DirectoryRow,
  EVENTS,
  type EventRow,
  FORGOTTEN,
  type ForgottenRow,
  ROOMS,
  type RoomRow,
} from './tables.ts';

export { memberRow } from './members-read.ts';

export function roomRow(tx: ReadTx, roomId: string): Promise<RoomRow | undefined> {
  return tx.get<RoomRow>(ROOMS, roomId);
}

export function eventRow(tx: ReadTx, eventId: string): Promise<EventRow | undefined> {
  return tx.get<EventRow>(EVENTS, eventId);
}

/** Up to `limit` events of the room by origin_server_ts within [from, to], newest first when `reverse`. */
export function eventsByTime(
  tx: ReadTx,
  roomId: string,
  from: number,
  to: number,
  reverse: boolean,
  limit: number,
): Promise<EventRow[]> {
  return tx.query<EventRow>(EVENTS, {
    index: 'room_ts',
    range: { lower: [roomId, from], upper: [roomId, to] },
    reverse,
    limit,
  });
}

export function aliasRow(tx: ReadTx, alias: string): Promise<AliasRow | undefined> {
  return tx.get<AliasRow>(ALIASES, alias);
}

/** Stores a new local alias; false (and nothing written) when the alias exists. */
export async function addAlias(tx: WriteTx, row: AliasRow): Promise<boolean> {
  if (await tx.get(ALIASES, row.alias)) return false;
  await tx.put(ALIASES, row);
  return true;
}

export async function removeAlias(tx: WriteTx, alias: string): Promise<void> {
  await tx.delete(ALIASES, alias);
}

export async function aliasesOf(tx: ReadTx, roomId: string): Promise<string[]> {
  return (await tx.query<AliasRow>(ALIASES, { index: 'room', equals: roomId })).map((r) => r.alias);
}

/** Whether the room is published in this server's room directory. */
export async function isPublished(tx: ReadTx, roomId: string): Promise<boolean> {
  return (await tx.get(DIRECTORY, roomId)) !== undefined;
}

export async function setPublished(tx: WriteTx, roomId: string, published: boolean): Promise<void> {
  if (published) await tx.put(DIRECTORY, { room_id: roomId, visibility: 'public' } satisfies DirectoryRow);
  else await tx.delete(DIRECTORY, roomId);
}

/** Spec: POST /rooms/{roomId}/forget. */
export async function forgetRoom(tx: WriteTx, userId: string, roomId: string): Promise<void> {
  await tx.put(FORGOTTEN, { user_id: userId, room_id: roomId } satisfies ForgottenRow);
}
