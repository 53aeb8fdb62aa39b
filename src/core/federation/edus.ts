// Ephemeral data units (spec: server-server API "EDUs", "Typing
// Notifications", "Receipts", "Presence", "Device Management", "Send-to-device
// messaging"). Incoming ones are checked against the origin: a server speaks
// only for its own users, and only about rooms it is in. Typing, receipts
// and presence go to a sink the homeserver provides (module-adapters.ts), one
// batch per transaction. Device list updates, signing key updates and
// to-device messages go to the keys module, which checks them itself
// (keys/server-side.ts).
import type { JsonObject, JsonValue } from '../protocol/types.ts';
import { joinedServers, roomTableNames, sharesRoomWithServer } from '../rooms/federation-api.ts';
import type { Logger } from '../ports.ts';
import type { Store } from '../storage/port.ts';

export type PresenceValue = 'online' | 'offline' | 'unavailable';

/**
 * Where incoming EDUs land (each optional: an absent sink drops that kind).
 * Typing, receipts and presence of one inbound transaction arrive together,
 * admitted and with only the last word of each user kept, so the sink stores
 * them in one store transaction and wakes /sync once (a flood of EDUs cost a
 * transaction and a wake each: issue 12, "latency under attack").
 */
export interface EduSinks {
  ephemeral?(batch: EphemeralBatch): Promise<void>;
  /**
   * m.device_list_update, m.signing_key_update and m.direct_to_device, by EDU
   * type: each type's EDUs of one transaction at once, in their order.
   */
  keys?: Readonly<Record<string, (origin: string, contents: readonly JsonObject[]) => Promise<void>>>;
}

/** The admitted typing, receipts and presence of one inbound transaction. */
export interface EphemeralBatch {
  readonly typing: readonly RemoteTyping[];
  /** Public read receipts of remote users; the sink keeps those for events held in the room's timeline. */
  readonly receipts: readonly RemoteReceipt[];
  readonly presence: readonly RemotePresence[];
}

export interface RemoteTyping {
  readonly roomId: string;
  readonly userId: string;
  readonly typing: boolean;
}

export interface RemoteReceipt {
  readonly roomId: string;
  readonly userId: string;
  readonly eventId: string;
  readonly threadId?: string;
  readonly ts: number;
}

export interface RemotePresence {
  readonly userId: string;
  readonly presence: PresenceValue;
  readonly statusMsg?: string;
  readonly lastActiveAgo: number;
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

/**
 * What one transaction's typing, receipt and presence EDUs say, before
 * admission: a user's later typing or presence replaces the earlier; a
 * receipt is kept per event read (the newest event is the sink's to find).
 */
class Gathered {
  readonly typing = new Map<string, RemoteTyping>();
  readonly receipts = new Map<string, RemoteReceipt>();
  readonly presence = new Map<string, RemotePresence>();

  get empty(): boolean {
    return this.typing.size + this.receipts.size + this.presence.size === 0;
  }
}

/**
 * Handles the EDUs of one transaction from `origin`: malformed ones are
 * logged and skipped, never thrown. Typing, receipts and presence are
 * gathered (the last word per room and user), admitted in one read and
 * handed to the sink at once; the keys module's EDUs go to it by type, each
 * type's at once.
 */
export async function receiveEdus(deps: EduDeps, origin: string, edus: readonly JsonValue[]): Promise<void> {
  const gathered = new Gathered();
  const forKeys = new Map<string, JsonObject[]>();
  for (const edu of edus) {
    if (!isObject(edu) || typeof edu.edu_type !== 'string' || !isObject(edu.content)) {
      deps.logger.info('dropped a malformed EDU', { origin });
      continue;
    }
    // Own keys only: an EDU type may be any string, `__proto__` too.
    const type = edu.edu_type;
    if (Object.hasOwn(GATHER, type)) GATHER[type]!(gathered, origin, edu.content);
    else if (deps.sinks.keys && Object.hasOwn(deps.sinks.keys, type)) {
      const contents = forKeys.get(type) ?? [];
      forKeys.set(type, contents);
      contents.push(edu.content);
    }
  }
  for (const [type, contents] of forKeys) {
    try {
      await deps.sinks.keys?.[type]?.(origin, contents);
    } catch (err) {
      deps.logger.warn('EDUs failed', { origin, type, error: String(err) });
    }
  }
  if (gathered.empty) return;
  const batch = await admit(deps, origin, gathered);
  if (batch.typing.length + batch.receipts.length + batch.presence.length > 0)
    await deps.sinks.ephemeral?.(batch);
}

type Gather = (gathered: Gathered, origin: string, content: JsonObject) => void;

const GATHER: Record<string, Gather> = {
  'm.typing': typing,
  'm.receipt': receipts,
  'm.presence': presence,
};

/** m.typing {room_id, user_id, typing}: only about the origin's own users. */
function typing(gathered: Gathered, origin: string, content: JsonObject): void {
  const { room_id: roomId, user_id: userId, typing: isTyping } = content;
  if (typeof roomId !== 'string' || typeof userId !== 'string' || typeof isTyping !== 'boolean') return;
  if (serverOf(userId) !== origin) return;
  gathered.typing.set(`${roomId}\u0000${userId}`, { roomId, userId, typing: isTyping });
}

/** m.receipt {room_id: {m.read: {user_id: {event_ids, data: {ts, thread_id?}}}}}: the origin's own users'. */
function receipts(gathered: Gathered, origin: string, content: JsonObject): void {
  let count = 0;
  for (const [roomId, byType] of Object.entries(content)) {
    if (!isObject(byType) || !isObject(byType['m.read'])) continue;
    for (const [userId, receipt] of Object.entries(byType['m.read'])) {
      if (++count > MAX_ENTRIES) return;
      if (serverOf(userId) !== origin || !isObject(receipt) || !Array.isArray(receipt.event_ids)) continue;
      const eventId = receipt.event_ids[receipt.event_ids.length - 1];
      const data = isObject(receipt.data) ? receipt.data : {};
      if (typeof eventId !== 'string') continue;
      const ts = typeof data.ts === 'number' && Number.isSafeInteger(data.ts) ? data.ts : 0;
      const threadId =
        typeof data.thread_id === 'string' && data.thread_id !== '' ? data.thread_id : undefined;
      // Every event read is kept (receipts only move forward: the sink keeps the newest event of them).
      gathered.receipts.set(`${roomId}\u0000${userId}\u0000${threadId ?? ''}\u0000${eventId}`, {
        roomId,
        userId,
        eventId,
        ts,
        ...(threadId && { threadId }),
      });
    }
  }
}

/** m.presence {push: [{user_id, presence, status_msg?, last_active_ago, currently_active?}]}: the origin's own users'. */
function presence(gathered: Gathered, origin: string, content: JsonObject): void {
  if (!Array.isArray(content.push)) return;
  for (const update of content.push.slice(0, MAX_ENTRIES)) {
    if (!isObject(update) || typeof update.user_id !== 'string' || serverOf(update.user_id) !== origin)
      continue;
    const state = update.presence;
    if (state !== 'online' && state !== 'offline' && state !== 'unavailable') continue;
    const message = typeof update.status_msg === 'string' ? update.status_msg.slice(0, 1000) : undefined;
    const ago =
      typeof update.last_active_ago === 'number' && update.last_active_ago >= 0 ? update.last_active_ago : 0;
    gathered.presence.set(update.user_id, {
      userId: update.user_id,
      presence: state,
      lastActiveAgo: ago,
      ...(message !== undefined && { statusMsg: message }),
    });
  }
}

/**
 * Admission, in one read: typing and receipts only about rooms the origin
 * is in (a server speaks only about rooms it is in); presence only about
 * users who share a room with one of our users (nobody here has a reason to
 * see anyone else's; as Synapse keeps presence only of users its local
 * users are interested in). So the presence rows a peer can make us keep
 * are bounded by the members of the rooms our users are in.
 */
async function admit(deps: EduDeps, origin: string, gathered: Gathered): Promise<EphemeralBatch> {
  const batch = await deps.store.read(roomTableNames, async (tx) => {
    const inRoom = new Map<string, boolean>();
    const originIn = async (roomId: string) => {
      let known = inRoom.get(roomId);
      if (known === undefined) {
        known = (await joinedServers(tx, roomId)).has(origin);
        inRoom.set(roomId, known);
      }
      return known;
    };
    const typing: RemoteTyping[] = [];
    for (const t of gathered.typing.values()) if (await originIn(t.roomId)) typing.push(t);
    const receipts: RemoteReceipt[] = [];
    for (const r of gathered.receipts.values()) if (await originIn(r.roomId)) receipts.push(r);
    const presence: RemotePresence[] = [];
    for (const p of gathered.presence.values())
      if (await sharesRoomWithServer(tx, p.userId, deps.serverName)) presence.push(p);
    return { typing, receipts, presence };
  });
  const dropped = gathered.presence.size - batch.presence.length;
  if (dropped > 0)
    deps.logger.info('dropped presence of users who share no room with ours', { origin, dropped });
  return batch;
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
