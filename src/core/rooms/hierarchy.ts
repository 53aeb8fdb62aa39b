// Spaces (spec: client-server "Spaces", GET /_matrix/client/v1/rooms/{roomId}/hierarchy;
// server-server GET /_matrix/federation/v1/hierarchy/{roomId}): a space's
// children are its `m.space.child` state events with a non-empty `via`. A
// room's summary is its directory entry, its children's state events, and for
// a restricted room the rooms its join rule allows.
//
// Children held by other peers are asked of the servers their `via` names
// (hierarchy-route.ts). What a peer answers is untrusted: a summary must be
// of the room asked about (or one of its children), well formed, and shown
// only when the room is public, knockable, world readable, or restricted to
// a room the user is in.
import type { JsonObject } from '../protocol.ts';
import type { ReadTx } from '../storage/port.ts';
import { type PublicRoomsChunk, directoryEntry } from './public-rooms.ts';
import { currentStateEvent } from './state-read.ts';
import { currentStateTable, eventsTable, membersTable } from './tables.ts';

/** Children looked at per room (a space may list many). */
export const MAX_CHILDREN = 50;

export interface ChildState {
  type: 'm.space.child';
  state_key: string;
  sender: string;
  origin_server_ts: number;
  content: JsonObject;
}

export interface HierarchyRoom extends PublicRoomsChunk {
  children_state: ChildState[];
  allowed_room_ids?: string[];
}

/** A room's summary from what this server holds. */
export async function localHierarchyRoom(tx: ReadTx, roomId: string): Promise<HierarchyRoom> {
  const entry = await directoryEntry(tx, roomId);
  const children: ChildState[] = [];
  const rows = await currentStateTable.query(tx, {
    range: { lower: [roomId, 'm.space.child', ''], upper: [roomId, 'm.space.child', '\uffff'] },
    limit: MAX_CHILDREN,
  });
  for (const row of rows) {
    const event = await eventsTable.get(tx, row.event_id);
    const via = event?.pdu.content.via;
    if (!event || !Array.isArray(via) || via.length === 0) continue;
    children.push({
      type: 'm.space.child',
      state_key: row.state_key,
      sender: event.sender,
      origin_server_ts: event.ts,
      content: event.pdu.content,
    });
  }
  const room: HierarchyRoom = { ...entry, children_state: children };
  const allow = (await currentStateEvent(tx, roomId, 'm.room.join_rules'))?.pdu.content.allow;
  if (Array.isArray(allow)) {
    room.allowed_room_ids = allow
      .slice(0, MAX_CHILDREN)
      .flatMap((a) =>
        typeof a === 'object' && a !== null && !Array.isArray(a) && typeof a.room_id === 'string'
          ? [a.room_id]
          : [],
      );
  }
  return room;
}

/** Whether `userId` may see a room's summary: a member (or invited), or the room is open to them. */
export async function userMaySee(
  tx: ReadTx,
  room: HierarchyRoom,
  userId: string,
  isOpen: (room: HierarchyRoom) => Promise<boolean>,
): Promise<boolean> {
  const member = (await membersTable.get(tx, [room.room_id, userId]))?.membership;
  return member === 'join' || member === 'invite' || (await isOpen(room));
}

/** Open without membership: public, knockable or world readable; restricted rooms when `inAllowed` says so. */
export async function openRoom(
  room: HierarchyRoom,
  inAllowed: (roomIds: readonly string[]) => Promise<boolean>,
): Promise<boolean> {
  const rule = room.join_rule;
  if (room.world_readable || rule === 'public' || rule === 'knock' || rule === 'knock_restricted')
    return true;
  if (rule === 'restricted' && room.allowed_room_ids) return inAllowed(room.allowed_room_ids);
  return false;
}

/** The children to follow: suggested ones only when asked, each with its via servers. */
export function childrenOf(room: HierarchyRoom, suggestedOnly: boolean): { roomId: string; via: string[] }[] {
  return room.children_state
    .filter((c) => !suggestedOnly || c.content.suggested === true)
    .map((c) => ({
      roomId: c.state_key,
      via: (Array.isArray(c.content.via) ? c.content.via : []).filter(
        (s): s is string => typeof s === 'string',
      ),
    }));
}

const MAX_TEXT = 1000;

/** A summary from another server, kept only when well formed (see the header); undefined otherwise. */
export function checkedRemoteRoom(value: unknown, roomId: string): HierarchyRoom | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (v.room_id !== roomId || typeof v.num_joined_members !== 'number') return undefined;
  const room: HierarchyRoom = {
    room_id: roomId,
    num_joined_members: Math.max(0, Math.floor(v.num_joined_members)),
    world_readable: v.world_readable === true,
    guest_can_join: v.guest_can_join === true,
    children_state: [],
  };
  for (const key of ['join_rule', 'name', 'topic', 'canonical_alias', 'avatar_url', 'room_type'] as const) {
    const text = v[key];
    if (typeof text === 'string') room[key] = text.slice(0, MAX_TEXT);
  }
  if (Array.isArray(v.allowed_room_ids))
    room.allowed_room_ids = v.allowed_room_ids.slice(0, MAX_CHILDREN).filter((id) => typeof id === 'string');
  const children = Array.isArray(v.children_state) ? v.children_state.slice(0, MAX_CHILDREN) : [];
  for (const child of children) {
    if (typeof child !== 'object' || child === null || Array.isArray(child)) continue;
    const {
      type,
      state_key: stateKey,
      sender,
      origin_server_ts: ts,
      content,
    } = child as Record<string, unknown>;
    if (type !== 'm.space.child' || typeof stateKey !== 'string' || !stateKey.startsWith('!')) continue;
    if (
      typeof sender !== 'string' ||
      typeof content !== 'object' ||
      content === null ||
      Array.isArray(content)
    )
      continue;
    const via = (content as JsonObject).via;
    if (!Array.isArray(via) || via.length === 0) continue;
    room.children_state.push({
      type,
      state_key: stateKey,
      sender,
      origin_server_ts: typeof ts === 'number' ? ts : 0,
      content: content as JsonObject,
    });
  }
  return room;
}
