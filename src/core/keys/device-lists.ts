// Device-list changes of local users (spec: "Tracking the device list for a
// user", server-server "Device Management"): each change of a user's devices
// or cross-signing keys takes a global stream position (sync's
// device_lists.changed), and goes to every server sharing a room with the
// user as an EDU, queued in the persisted outbox in the same transaction.
import type { JsonObject, JsonValue } from '../protocol/types.ts';
import type { ReadTx, WriteTx } from '../storage/port.ts';
import { nextStreamPosition, STREAM_TABLE } from '../storage/stream.ts';
import type { KeysDeps } from './deps.ts';

export const serverOf = (userId: string) => userId.slice(userId.indexOf(':') + 1);

/** `{user: {device: value}}` for other servers' users, split by server: server → its users' part. */
export function byRemoteServer<T extends JsonValue>(
  self: string,
  perUser: ReadonlyMap<string, ReadonlyMap<string, T>>,
): Map<string, JsonObject> {
  const out = new Map<string, JsonObject>();
  for (const [userId, devices] of perUser) {
    const server = serverOf(userId);
    if (server === self) continue;
    const part = out.get(server) ?? {};
    part[userId] = Object.fromEntries(devices);
    out.set(server, part);
  }
  return out;
}

/** Tables a transaction that changes a local user's keys opens. */
export function changeTables(deps: KeysDeps): string[] {
  const federation = deps.federation();
  return [
    ...new Set([
      ...deps.keys.tables,
      ...deps.rooms.tables,
      ...deps.accounts.tables,
      STREAM_TABLE,
      ...(federation?.tables ?? []),
    ]),
  ];
}

/** Other servers with a user joined to one of the user's rooms. */
export async function serversSharingRooms(deps: KeysDeps, tx: ReadTx, userId: string): Promise<Set<string>> {
  const servers = new Set<string>();
  for (const roomId of await deps.rooms.joinedRoomIds(tx, userId)) {
    for (const member of await deps.rooms.joinedMembers(tx, roomId)) servers.add(serverOf(member));
  }
  servers.delete(deps.serverName);
  return servers;
}

/** What one local change tells other servers. */
export type LocalChange =
  | {
      readonly kind: 'device';
      readonly deviceId: string;
      readonly keys?: JsonObject;
      readonly deleted?: boolean;
    }
  | { readonly kind: 'signing'; readonly content: JsonObject };

/**
 * Records a change of the user's keys (a new stream position, the previous
 * one kept as prev_id) and queues its EDU to the servers sharing a room.
 * Returns the destinations to wake after commit.
 */
export async function recordLocalChange(
  deps: KeysDeps,
  tx: WriteTx,
  userId: string,
  change: LocalChange,
): Promise<string[]> {
  const previous = await deps.keys.keyChange(tx, userId);
  const stream = await nextStreamPosition(tx);
  await deps.keys.putKeyChange(tx, { userId, stream, ...(previous && { prev: previous.stream }) });
  const federation = deps.federation();
  if (!federation) return [];
  const servers = await serversSharingRooms(deps, tx, userId);
  if (servers.size === 0) return [];
  if (change.kind === 'signing')
    return federation.queueEdu(tx, servers, 'm.signing_key_update', change.content);
  const content: JsonObject = {
    user_id: userId,
    device_id: change.deviceId,
    stream_id: stream,
    prev_id: previous ? [previous.stream] : [],
  };
  if (change.deleted) content.deleted = true;
  if (change.keys) content.keys = change.keys;
  return federation.queueEdu(tx, servers, 'm.device_list_update', content);
}

/** After the change committed: wake syncs (everyone: sharing rooms is read at sync time) and the senders. */
export function announceChange(deps: KeysDeps, destinations: readonly string[]): void {
  deps.notifier.notify({ everyone: true });
  if (destinations.length > 0) deps.federation()?.wake(destinations);
}
