// Typed reads and writes of the rooms tables for the module's handlers: each
// function names its table and builds its key in one place, so route files
// never call `tx.get/put` on a table name (scripts/boundary-rules.ts keeps it
// so). The event graph's own writes stay in persist-event.ts and
// persist-remote.ts, its reads in state-read.ts, timeline-read.ts and
// members-read.ts.
import type { ReadTx, WriteTx } from '../storage/port.ts';
import {
  aliasesTable,
  type AliasRow,
  type DirectoryRow,
  directoryTable,
  type EventRow,
  eventsTable,
  type ForgottenRow,
  forgottenTable,
  type RoomRow,
  roomsTable,
} from './tables.ts';

export { memberRow } from './members-read.ts';

export function roomRow(tx: ReadTx, roomId: string): Promise<RoomRow | undefined> {
  return roomsTable.get(tx, roomId);
}

export function eventRow(tx: ReadTx, eventId: string): Promise<EventRow | undefined> {
  return eventsTable.get(tx, eventId);
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
  return eventsTable.query(tx, {
    index: 'room_ts',
    range: { lower: [roomId, from], upper: [roomId, to] },
    reverse,
    limit,
  });
}

export function aliasRow(tx: ReadTx, alias: string): Promise<AliasRow | undefined> {
  return aliasesTable.get(tx, alias);
}

/** Stores a new local alias; false (and nothing written) when the alias exists. */
export async function addAlias(tx: WriteTx, row: AliasRow): Promise<boolean> {
  if (await aliasesTable.get(tx, row.alias)) return false;
  await aliasesTable.put(tx, row);
  return true;
}

export async function removeAlias(tx: WriteTx, alias: string): Promise<void> {
  await aliasesTable.delete(tx, alias);
}

export async function aliasesOf(tx: ReadTx, roomId: string): Promise<string[]> {
  return (await aliasesTable.query(tx, { index: 'room', equals: roomId })).map((r) => r.alias);
}

/** Whether the room is published in this server's room directory. */
export async function isPublished(tx: ReadTx, roomId: string): Promise<boolean> {
  return (await directoryTable.get(tx, roomId)) !== undefined;
}

export async function setPublished(tx: WriteTx, roomId: string, published: boolean): Promise<void> {
  if (published)
    await directoryTable.put(tx, { room_id: roomId, visibility: 'public' } satisfies DirectoryRow);
  else await directoryTable.delete(tx, roomId);
}

/** Spec: POST /rooms/{roomId}/forget. */
export async function forgetRoom(tx: WriteTx, userId: string, roomId: string): Promise<void> {
  await forgottenTable.put(tx, { user_id: userId, room_id: roomId } satisfies ForgottenRow);
}
