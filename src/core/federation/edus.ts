// Ephemeral data units (spec: server-server API "EDUs", "Typing
// Notifications", "Receipts", "Presence", "Device Management", "Send-to-device
// messaging"). Incoming ones are checked against the origin: a server speaks
// only for its own users, and only about rooms it is in. They go to sinks
// the homeserver provides (module-adapters.ts). Device list updates, signing key
// updates and to-device messages go to the keys module, which checks them
// itself (keys/server-side.ts).
import type { JsonObject, JsonValue } from '../protocol/types.ts';
import { joinedServers, roomTableNames, sharesRoomWithServer } from '../rooms/federation-api.ts';
import type { Logger } from '../ports.ts';
import type { Store } from '../storage/port.ts';

export type PresenceValue = 'online' | 'offline' | 'unavailable';

/** Where incoming EDUs land (each optional: an absent sink drops that kind). */
export interface EduSinks {
  typing?(roomId: string, userId: string, typing: boolean): void;
  /** A public read receipt of a remote user for a held event; false when the event is not in the room's timeline. */
  receipt?(receipt: RemoteReceipt): Promise<boolean>;
  presence?(
    userId: string,
    presence: PresenceValue,
    statusMsg: string | undefined,
    lastActiveAgo: number,
  ): Promise<void>;
  /** m.device_list_update, m.signing_key_update and m.direct_to_device, by EDU type. */
  keys?: Readonly<Record<string, (origin: string, content: JsonObject) => Promise<void>>>;
}

export interface RemoteReceipt {
  readonly roomId: string;
  readonly userId: string;
  readonly eventId: string;
  readonly threadId?: string;
  readonly ts: number;
}

export interface EduDeps {
  /** Our own server name: presence is admitted only about users who share a room with ours. */
  readonly serverName: string;
  readonly store: Store;
  readonly logger: Logger;
  readonly sinks: EduSinks;
}

/** At most this many receipts or presence updates are read from one EDU. */
const MAX_ENTRIES = 200;

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const serverOf = (userId: string) => userId.slice(userId.indexOf(':') + 1);

/** Whether `origin` has a user joined to the room (a server speaks only about rooms it is in). */
async function originInRoom(deps: EduDeps, origin: string, roomId: string): Promise<boolean> {
  return (await deps.store.read(roomTableNames, (tx) => joinedServers(tx, roomId))).has(origin);
}

/** Handles one EDU from `origin`; malformed ones are logged and skipped, never thrown. */
export async function receiveEdu(deps: EduDeps, origin: string, edu: JsonValue): Promise<void> {
  if (!isObject(edu) || typeof edu.edu_type !== 'string' || !isObject(edu.content)) {
    deps.logger.info('dropped a malformed EDU', { origin });
    return;
  }
  const handler = HANDLERS[edu.edu_type];
  if (handler) await handler(deps, origin, edu.content);
  else await deps.sinks.keys?.[edu.edu_type]?.(origin, edu.content);
}

type EduHandler = (deps: EduDeps, origin: string, content: JsonObject) => Promise<void>;

const HANDLERS: Record<string, EduHandler> = {
  'm.typing': typing,
  'm.receipt': receipts,
  'm.presence': presence,
};

/** m.typing {room_id, user_id, typing} */
async function typing(deps: EduDeps, origin: string, content: JsonObject): Promise<void> {
  const { room_id: roomId, user_id: userId, typing: isTyping } = content;
  if (typeof roomId !== 'string' || typeof userId !== 'string' || typeof isTyping !== 'boolean') return;
  if (serverOf(userId) !== origin || !(await originInRoom(deps, origin, roomId))) return;
  deps.sinks.typing?.(roomId, userId, isTyping);
}

/** m.receipt {room_id: {m.read: {user_id: {event_ids, data: {ts, thread_id?}}}}} */
async function receipts(deps: EduDeps, origin: string, content: JsonObject): Promise<void> {
  let count = 0;
  for (const [roomId, byType] of Object.entries(content)) {
    if (!isObject(byType) || !isObject(byType['m.read'])) continue;
    if (!(await originInRoom(deps, origin, roomId))) continue;
    for (const [userId, receipt] of Object.entries(byType['m.read'])) {
      if (++count > MAX_ENTRIES) return;
      if (serverOf(userId) !== origin || !isObject(receipt) || !Array.isArray(receipt.event_ids)) continue;
      const eventId = receipt.event_ids[receipt.event_ids.length - 1];
      const data = isObject(receipt.data) ? receipt.data : {};
      if (typeof eventId !== 'string') continue;
      const ts = typeof data.ts === 'number' && Number.isSafeInteger(data.ts) ? data.ts : 0;
      const threadId =
        typeof data.thread_id === 'string' && data.thread_id !== '' ? data.thread_id : undefined;
      await deps.sinks.receipt?.({ roomId, userId, eventId, ts, ...(threadId && { threadId }) });
    }
  }
}

/**
 * m.presence {push: [{user_id, presence, status_msg?, last_active_ago, currently_active?}]}:
 * only about the origin's own users, and only about those who share a room
 * with one of our users (nobody here has a reason to see anyone else's; as
 * Synapse keeps presence only of users its local users are interested in).
 * So the presence rows a peer can make us keep are bounded by the members
 * of the rooms our users are in, and one user's updates in one EDU count once
 * (the last one).
 */
async function presence(deps: EduDeps, origin: string, content: JsonObject): Promise<void> {
  if (!Array.isArray(content.push)) return;
  const latest = new Map<string, JsonObject>();
  for (const update of content.push.slice(0, MAX_ENTRIES)) {
    if (!isObject(update) || typeof update.user_id !== 'string' || serverOf(update.user_id) !== origin)
      continue;
    latest.set(update.user_id, update);
  }
  if (latest.size === 0) return;
  const admitted = await deps.store.read(roomTableNames, async (tx) => {
    const out: JsonObject[] = [];
    for (const [userId, update] of latest)
      if (await sharesRoomWithServer(tx, userId, deps.serverName)) out.push(update);
    return out;
  });
  if (admitted.length < latest.size)
    deps.logger.info('dropped presence of users who share no room with ours', {
      origin,
      dropped: latest.size - admitted.length,
    });
  for (const update of admitted) {
    if (typeof update.user_id !== 'string') continue;
    const state = update.presence;
    if (state !== 'online' && state !== 'offline' && state !== 'unavailable') continue;
    const message = typeof update.status_msg === 'string' ? update.status_msg.slice(0, 1000) : undefined;
    const ago =
      typeof update.last_active_ago === 'number' && update.last_active_ago >= 0 ? update.last_active_ago : 0;
    await deps.sinks.presence?.(update.user_id, state, message, ago);
  }
}

/** The m.typing EDU for one user. */
export function typingEdu(
  roomId: string,
  userId: string,
  isTyping: boolean,
): { eduType: string; content: JsonObject } {
  return { eduType: 'm.typing', content: { room_id: roomId, user_id: userId, typing: isTyping } };
}

/** The m.receipt EDU for one public read receipt. */
export function receiptEdu(r: RemoteReceipt): { eduType: string; content: JsonObject } {
  const data: JsonObject = { ts: r.ts };
  if (r.threadId !== undefined) data.thread_id = r.threadId;
  return {
    eduType: 'm.receipt',
    content: { [r.roomId]: { 'm.read': { [r.userId]: { event_ids: [r.eventId], data } } } },
  };
}
