// Presence (spec: "Presence"): the state a user's clients set, with the time
// of the last change; each change takes a stream position so sync can send
// m.presence events to users who share a room.
import type { ReadTx, Store, WriteTx } from '../storage/port.ts';
import { nextStreamPosition, STREAM_TABLE } from '../storage/stream.ts';
import { PRESENCE, type PresenceRow, type PresenceState, presenceTable, profilesTable } from './tables.ts';

export const PRESENCE_STATES: readonly PresenceState[] = ['online', 'offline', 'unavailable'];

/** The presence content as GET /presence/{userId}/status shows it. */
export interface PresenceStatus {
  presence: PresenceState;
  last_active_ago?: number;
  status_msg?: string;
  currently_active?: boolean;
}

export function presenceStatus(row: PresenceRow | undefined, now: number): PresenceStatus {
  if (!row) return { presence: 'offline' };
  const status: PresenceStatus = {
    presence: row.presence,
    last_active_ago: Math.max(0, now - row.last_active_ts),
    currently_active: row.presence === 'online',
  };
  if (row.status_msg !== undefined) status.status_msg = row.status_msg;
  return status;
}

export function getPresence(tx: ReadTx, userId: string): Promise<PresenceRow | undefined> {
  return presenceTable.get(tx, userId);
}

/** Tables a transaction setting presence opens. */
export const presenceTables: readonly string[] = [PRESENCE, STREAM_TABLE];

/**
 * Sets a user's presence (statusMsg undefined keeps the old message, null
 * clears it) and returns the stream position, or undefined when nothing changed
 * (sync's `set_presence` may call this on every request without writing).
 */
export async function setPresence(
  tx: WriteTx,
  userId: string,
  presence: PresenceState,
  statusMsg: string | null | undefined,
  now: number,
): Promise<number | undefined> {
  const old = await getPresence(tx, userId);
  const message = statusMsg === undefined ? old?.status_msg : (statusMsg ?? undefined);
  if (old && old.presence === presence && old.status_msg === message) return undefined;
  const row: PresenceRow = {
    user_id: userId,
    presence,
    last_active_ts: now,
    stream: await nextStreamPosition(tx),
  };
  if (message !== undefined) row.status_msg = message;
  await presenceTable.put(tx, row);
  return row.stream;
}

/**
 * setPresence in a transaction of its own, for other modules (another
 * server's m.presence EDU, sync's `set_presence`). A presence that is already
 * so (with `statusMsg` undefined) is found by a read, from the row cache when
 * it holds the row, with no write transaction (a disk flush in browsers):
 * every /sync sets presence, which almost never changes. True when it changed;
 * the caller notifies after.
 */
export async function updatePresence(
  store: Store,
  userId: string,
  presence: PresenceState,
  statusMsg: string | null | undefined,
  at: number,
): Promise<boolean> {
  if (statusMsg === undefined) {
    const old =
      store.peek?.<PresenceRow>(PRESENCE, userId) ??
      (await store.read([PRESENCE], (tx) => getPresence(tx, userId)));
    if (old?.presence === presence) return false;
  }
  const changed = await store.write([PRESENCE, STREAM_TABLE], (tx) =>
    setPresence(tx, userId, presence, statusMsg, at),
  );
  return changed !== undefined;
}

/** Gives the user's presence a new stream position so a profile change reaches syncing clients. */
export async function touchPresence(tx: WriteTx, userId: string, now: number): Promise<void> {
  const old = await getPresence(tx, userId);
  const row: PresenceRow = old
    ? { ...old, stream: await nextStreamPosition(tx) }
    : { user_id: userId, presence: 'online', last_active_ts: now, stream: await nextStreamPosition(tx) };
  await presenceTable.put(tx, row);
}

/** An m.presence event as /sync carries it: the status plus the user's displayname and avatar. */
export interface PresenceEvent {
  type: 'm.presence';
  sender: string;
  content: PresenceStatus & { displayname?: string; avatar_url?: string };
}

/** Presence events of every user whose presence changed after `since` (sync picks the audience). */
export async function presenceSince(tx: ReadTx, since: number, now: number): Promise<PresenceEvent[]> {
  const rows = await presenceTable.query(tx, {
    index: 'stream',
    range: { lower: since, lowerOpen: true },
  });
  const events: PresenceEvent[] = [];
  for (const row of rows) {
    const profile = await profilesTable.get(tx, row.user_id);
    const content: PresenceEvent['content'] = presenceStatus(row, now);
    if (profile?.displayname !== undefined) content.displayname = profile.displayname;
    if (profile?.avatar_url !== undefined) content.avatar_url = profile.avatar_url;
    events.push({ type: 'm.presence', sender: row.user_id, content });
  }
  return events;
}
