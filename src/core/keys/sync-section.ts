// The end-to-end parts of a /sync response (spec §11.3 and "Extensions to
// /sync" of "End-to-End Encryption"), read in the sync's own transaction:
// - to_device: messages for the device after `since`, up to the response's
//   position; they stay stored until the client syncs with a later `since`
//   (its acknowledgement), then acknowledgeToDevice deletes them;
// - device_lists (incremental syncs only): `changed` has users sharing a room
//   with the user whose keys changed, and users who newly share one (they or
//   the user joined); `left` those who no longer share any;
// - device_one_time_keys_count and device_unused_fallback_key_types.
import type { JsonObject } from '../protocol/types.ts';
import type { ReadTx } from '../storage/port.ts';
import type { KeysDeps } from './deps.ts';

export interface KeysSyncSection {
  readonly toDevice: { sender: string; type: string; content: JsonObject }[];
  readonly changed: string[];
  readonly left: string[];
  readonly oneTimeKeyCounts: Record<string, number>;
  readonly unusedFallbackKeyTypes: string[];
  /** The client acknowledged messages with `since`: delete them (acknowledgeToDevice). */
  readonly acknowledged: boolean;
}

export interface KeysSyncRequest {
  readonly userId: string;
  readonly deviceId: string;
  /** Undefined for an initial sync. */
  readonly since: number | undefined;
  readonly position: number;
}

export async function keysSyncSection(
  deps: KeysDeps,
  tx: ReadTx,
  r: KeysSyncRequest,
): Promise<KeysSyncSection> {
  const { keys } = deps;
  const since = r.since ?? 0;
  const [toDevice, acknowledged, lists, oneTimeKeyCounts, unusedFallbackKeyTypes] = await Promise.all([
    keys.messages.toDeviceBetween(tx, r.userId, r.deviceId, since, r.position),
    r.since === undefined ? false : keys.messages.hasToDeviceUpTo(tx, r.userId, r.deviceId, r.since),
    r.since === undefined
      ? { changed: [], left: [] }
      : deviceListChanges(deps, tx, r.userId, r.since, r.position),
    keys.oneTimeKeyCounts(tx, r.userId, r.deviceId),
    keys.unusedFallbackTypes(tx, r.userId, r.deviceId),
  ]);
  return {
    toDevice,
    ...lists,
    oneTimeKeyCounts: { signed_curve25519: 0, ...oneTimeKeyCounts },
    unusedFallbackKeyTypes,
    acknowledged,
  };
}

/** Deletes the device's messages the client acknowledged by syncing with `since`. */
export async function acknowledgeToDevice(deps: KeysDeps, userId: string, deviceId: string, since: number) {
  await deps.store.write(deps.keys.tables, (tx) =>
    deps.keys.messages.deleteToDeviceUpTo(tx, userId, deviceId, since),
  );
}

/** device_lists for an incremental sync (and keys/changes) between two stream positions. */
export async function deviceListChanges(
  deps: KeysDeps,
  tx: ReadTx,
  userId: string,
  since: number,
  upTo: number,
): Promise<{ changed: string[]; left: string[] }> {
  const { rooms } = deps;
  const mine = new Set(await rooms.joinedRoomIds(tx, userId));
  const shared = new Map<string, boolean>();
  const sharesRoom = async (other: string) => {
    let known = shared.get(other);
    if (known === undefined) {
      known = other === userId || (await rooms.joinedRoomIds(tx, other)).some((room) => mine.has(room));
      shared.set(other, known);
    }
    return known;
  };
  const changed = new Set<string>();
  const leftCandidates = new Set<string>();
  for (const other of await deps.keys.keyChangesBetween(tx, since, upTo)) {
    if (await sharesRoom(other)) changed.add(other);
  }
  // The user's own joins and leaves: everyone in the room now shares or stopped sharing it.
  const ownChanges = await rooms.userRoomsSince(tx, userId, since);
  for (const change of ownChanges) {
    const members = await rooms.joinedMembers(tx, change.roomId);
    for (const member of members) (change.joined ? changed : leftCandidates).add(member);
  }
  // Others' joins and leaves in the user's rooms.
  // A member event is a timeline event: only rooms with events since can have any.
  const ownRooms = new Set(ownChanges.map((c) => c.roomId));
  const active = await rooms.roomsWithEventsSince(tx, since, upTo);
  for (const roomId of mine) {
    if (ownRooms.has(roomId) || !active.has(roomId)) continue;
    for (const change of await rooms.memberChangesBetween(tx, roomId, since, upTo)) {
      (change.joined ? changed : leftCandidates).add(change.userId);
    }
  }
  const left: string[] = [];
  for (const other of leftCandidates) {
    if (other !== userId && !changed.has(other) && !(await sharesRoom(other))) left.push(other);
  }
  changed.delete(userId);
  const ownChange = await deps.keys.keyChange(tx, userId);
  if (ownChange && ownChange.stream > since && ownChange.stream <= upTo) changed.add(userId);
  return { changed: [...changed], left };
}
