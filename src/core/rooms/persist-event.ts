// Persisting one accepted event inside the caller's write transaction: the
// authoritative auth check against the current state, then every table the
// event touches. A denied event throws, which aborts the whole transaction.
import { forbidden, notFound } from '../errors.ts';
import {
  type AuthStateLookup,
  type RoomEvent,
  type RoomVersion,
  authEventTypesFor,
  checkAuth,
  redactEvent,
  redactedEventId,
  redactionApplies,
  stateKeyOf,
} from '../protocol.ts';
import type { WriteTx } from '../storage/port.ts';
import { issued } from '../storage/issued.ts';
import { reserveStreamPosition } from '../storage/stream.ts';
import { readExtremities, writeExtremities } from './extremities.ts';
import { indexForSearch } from './search-index.ts';
import { writeSnapshot, writeStateGroup } from './state-groups.ts';
import {
  currentStateRowOf,
  currentStateTable,
  type EventRow,
  eventsTable,
  forgottenTable,
  type MemberRow,
  type Membership,
  membersTable,
  pendingRedactionsTable,
  type RoomRow,
  roomsTable,
  roomTxnsTable,
  type TxnRow,
} from './tables.ts';
import { noteThreadReply } from './threads.ts';

/** Where a local send came from: remembered for idempotency and unsigned.transaction_id. */
export interface TxnRecord {
  readonly userId: string;
  readonly deviceId: string;
  /** The request's scope and client txnId (e.g. `send/!room/m.room.message/abc`). */
  readonly key: string;
  /** The client's txnId, shown back to the sending device. */
  readonly txnId: string;
  readonly hash: string;
}

const MEMBERSHIPS: readonly string[] = ['join', 'invite', 'leave', 'ban', 'knock'];

/** The current state events an event's auth rules look at, as a lookup. */
export async function authStateFor(
  tx: WriteTx,
  event: RoomEvent,
  version: RoomVersion,
): Promise<AuthStateLookup> {
  const state = new Map<string, RoomEvent>();
  const tuples = [...authEventTypesFor(event, version), { type: 'm.room.create', stateKey: '' }];
  // All lookups at once: each request's round trip overlaps the others'.
  await Promise.all(
    tuples.map(async ({ type, stateKey }) => {
      const current = await currentStateTable.get(tx, [event.room_id, type, stateKey]);
      const row = current && (await eventsTable.get(tx, current.event_id));
      if (row) state.set(stateKeyOf(type, stateKey), row.pdu);
    }),
  );
  return (type, stateKey) => state.get(stateKeyOf(type, stateKey));
}

/**
 * Persists a local event built on the room's current extremities and state
 * (with `builtOn`, the extremities it was built on: StaleExtremities, before
 * anything is written, when the room's are no longer exactly those):
 * 1. the auth rules against the current state (403 with the rule otherwise);
 * 2. the next stream position;
 * 3. state groups before/after and the current state;
 * 4. forward extremities: the event replaces its prev_events;
 * 5. the membership table for member events;
 * 6. a redaction prunes its target when the redaction rules allow it;
 * 7. the event row and the txnId, and its words in the search index; a thread
 *    reply marks its root (threads.ts). The txnId is inserted if new: one
 *    already used throws TxnTaken (the whole write aborts), so the check and
 *    the record are one request.
 * Requests that do not depend on each other go out together (IndexedDB runs
 * a transaction's requests in order, but each awaited alone costs a round
 * trip to the browser's storage process): the reads, then the writes.
 */
export async function persistEvent(
  tx: WriteTx,
  event: RoomEvent,
  version: RoomVersion,
  txn?: TxnRecord,
  builtOn?: readonly string[],
): Promise<number> {
  // Writes issued before the last ones, awaited with them (storage/issued.ts).
  const requests = issued();
  const [room, authState, stream, replaced, extremities] = await Promise.all([
    roomRowFor(tx, event, version),
    authStateFor(tx, event, version),
    // 2. (reserved before the check: a denied event aborts the whole transaction; the
    // counter's put is awaited with the other writes, so they go out together)
    reserveStreamPosition(tx, requests),
    // 3. (the current state the event replaces)
    event.state_key === undefined
      ? undefined
      : currentStateTable.get(tx, [event.room_id, event.type, event.state_key]),
    // 4. (the set the event's row replaces; committed, it is served from memory: row-cache.ts)
    readExtremities(tx, event.room_id),
  ]);
  // The room must still be where the event was built, its state too (the one read of step 4's set).
  if (builtOn && !sameIds(extremities.ids, builtOn)) throw new StaleExtremities();
  // 1.
  const verdict = checkAuth(event, authState, version);
  if (!verdict.ok) throw forbidden(`the auth rules reject this event: ${verdict.reason}`);
  // 3.
  const row = eventRow(event, room, stream);
  if (event.state_key !== undefined) {
    if (replaced) row.replaces = replaced.event_id;
    row.sg_after = await writeStateGroup(tx, room.room_id, row.sg_before, [
      [event.type, event.state_key, event.event_id],
    ]);
    requests.add(currentStateTable.put(tx, currentStateRowOf(event, event.state_key)));
  }
  // 6. (before the rest: it rewrites the target's row, dropping its search entries)
  if (event.type === 'm.room.redaction') await applyRedaction(tx, event, authState, version);
  if (txn) {
    row.txn_device = txn.deviceId;
    row.txn_id = txn.txnId;
  }
  await Promise.all([
    requests.settled(),
    // Unchanged by an event that is not state (the row stays cached, row-cache.ts).
    row.sg_after !== room.state_group &&
      roomsTable.put(tx, { ...room, state_group: row.sg_after } satisfies RoomRow),
    // 4.
    writeExtremities(tx, extremities, [
      ...extremities.ids.filter((id) => !event.prev_events.includes(id)),
      event.event_id,
    ]),
    // 5.
    event.type === 'm.room.member' && event.state_key !== undefined && updateMembership(tx, event, stream),
    // 7.
    txn && recordTxn(tx, event, txn),
    // The row carries its search entries (the room's number may be a read
    // away): written with it, in its one put, beside the other requests.
    indexForSearch(tx, row).then(() => eventsTable.put(tx, row)),
    noteThreadReply(tx, row),
  ]);
  return stream;
}

/** Thrown inside the write transaction when the room moved on since the event was built (`builtOn`). */
export class StaleExtremities extends Error {
  override readonly name = 'StaleExtremities';
}

function sameIds(now: readonly string[], expected: readonly string[]): boolean {
  const set = new Set(now);
  return set.size === expected.length && expected.every((id) => set.has(id));
}

/**
 * Thrown inside the write transaction when the send's transaction id was
 * used before: nothing of the write is kept, and the caller answers the
 * event that id made (read after the abort).
 */
export class TxnTaken extends Error {
  override readonly name = 'TxnTaken';
}

/**
 * Records the send's transaction id, refusing one already used. Spec
 * (client-server API, "Transaction identifiers"): the same id from the same
 * device (access token) makes the request idempotent, so a second event
 * under it must not be written.
 */
async function recordTxn(tx: WriteTx, event: RoomEvent, txn: TxnRecord): Promise<void> {
  if (!(await roomTxnsTable.add(tx, txnRow(event, txn)))) throw new TxnTaken();
}

function txnRow(event: RoomEvent, txn: TxnRecord): TxnRow {
  return {
    user_id: txn.userId,
    device_id: txn.deviceId,
    txn_id: txn.key,
    room_id: event.room_id,
    event_id: event.event_id,
    hash: txn.hash,
  };
}

async function roomRowFor(tx: WriteTx, event: RoomEvent, version: RoomVersion): Promise<RoomRow> {
  const room = await roomsTable.get(tx, event.room_id);
  if (room) return room;
  if (event.type !== 'm.room.create') throw notFound(`unknown room ${event.room_id}`);
  const stateGroup = await writeSnapshot(tx, event.room_id, new Map());
  return {
    room_id: event.room_id,
    version: version.id,
    creator: event.sender,
    created_ts: event.origin_server_ts,
    state_group: stateGroup,
    referenced: true,
  };
}

/** The row of an event placed on the room's current state (stream undefined: not in the timeline). */
export function eventRow(event: RoomEvent, room: RoomRow, stream?: number): EventRow {
  const row: EventRow = {
    event_id: event.event_id,
    room_id: event.room_id,
    depth: event.depth,
    type: event.type,
    sender: event.sender,
    ts: event.origin_server_ts,
    pdu: event,
    sg_before: room.state_group,
    sg_after: room.state_group,
  };
  if (stream !== undefined) row.stream = stream;
  if (event.state_key !== undefined) row.state_key = event.state_key;
  const relation = relationOf(event);
  if (relation) {
    row.relates_to = relation.eventId;
    row.rel_type = relation.relType;
  }
  return row;
}

/** `content["m.relates_to"]` when it names an event and a relation type. */
export function relationOf(event: RoomEvent): { eventId: string; relType: string } | undefined {
  const relatesTo = event.content['m.relates_to'];
  if (typeof relatesTo !== 'object' || relatesTo === null || Array.isArray(relatesTo)) return undefined;
  const { event_id: eventId, rel_type: relType } = relatesTo;
  return typeof eventId === 'string' && typeof relType === 'string' ? { eventId, relType } : undefined;
}

/** Mirrors a member event into room_members (ignores unknown memberships). */
export async function updateMembership(tx: WriteTx, event: RoomEvent, stream: number): Promise<void> {
  const membership = event.content.membership;
  if (!MEMBERSHIPS.includes(membership as Membership)) return;
  const previous = await membersTable.get(tx, [event.room_id, event.state_key!]);
  // Both go out together (each awaited alone is a round trip to the store).
  await Promise.all([
    membersTable.put(tx, memberRow(event, stream, previous)),
    PRESENT.includes(membership as Membership) &&
      forgottenTable.delete(tx, [event.state_key!, event.room_id]),
  ]);
}

/**
 * updateMembership for member events of distinct users in one room: written
 * in one request, and read only where the row needs it (a big room's join
 * sets a thousand, nearly all joins; in IndexedDB each request is a round
 * trip to the store).
 */
export async function updateMemberships(
  tx: WriteTx,
  events: readonly RoomEvent[],
  stream: number,
): Promise<void> {
  const valid = events.filter((e) => MEMBERSHIPS.includes(e.content.membership as Membership));
  // A join's row takes nothing from the row before it (memberRow: joined_stream is its own).
  const previous = await Promise.all(
    valid.map((e) =>
      e.content.membership === 'join' ? undefined : membersTable.get(tx, [e.room_id, e.state_key!]),
    ),
  );
  await membersTable.putAll(
    tx,
    valid.map((event, i) => memberRow(event, stream, previous[i])),
  );
  const present = valid.filter((e) => PRESENT.includes(e.content.membership as Membership));
  await unforget(
    tx,
    present.map((e) => [e.state_key!, e.room_id] as const),
  );
}

/**
 * Undoes these (user, room) forgets. Only a local user who left a room can
 * have forgotten it, so the table is small: read whole in one request when it
 * holds no more rows than there are keys, each key deleted otherwise.
 */
async function unforget(tx: WriteTx, keys: readonly (readonly [string, string])[]): Promise<void> {
  let gone = keys;
  if (keys.length > 1) {
    const rows = await forgottenTable.query(tx, { limit: keys.length + 1 });
    if (rows.length <= keys.length) {
      const wanted = new Set(keys.map(([user, room]) => `${user}\u0000${room}`));
      gone = rows
        .filter((r) => wanted.has(`${r.user_id}\u0000${r.room_id}`))
        .map((r) => [r.user_id, r.room_id]);
    }
  }
  await Promise.all(gone.map((key) => forgottenTable.delete(tx, key)));
}

/** Memberships that undo a forget (the room shows again). */
const PRESENT: readonly Membership[] = ['join', 'invite', 'knock'];

function memberRow(event: RoomEvent, stream: number, previous: MemberRow | undefined): MemberRow {
  const membership = event.content.membership as Membership;
  const row: MemberRow = {
    room_id: event.room_id,
    user_id: event.state_key!,
    membership,
    event_id: event.event_id,
    stream,
    sender: event.sender,
  };
  const joinedStream = membership === 'join' ? stream : previous?.joined_stream;
  if (joinedStream !== undefined) row.joined_stream = joinedStream;
  const { displayname, avatar_url: avatarUrl } = event.content;
  if (typeof displayname === 'string') row.displayname = displayname;
  if (typeof avatarUrl === 'string') row.avatar_url = avatarUrl;
  return row;
}

/** Prunes the redacted event (spec: rooms v3+ "Handling redactions") when the rules allow it. */
export async function applyRedaction(
  tx: WriteTx,
  redaction: RoomEvent,
  authState: AuthStateLookup,
  version: RoomVersion,
): Promise<void> {
  const targetId = redactedEventId(redaction, version);
  if (targetId === undefined) return;
  const target = await eventsTable.get(tx, targetId);
  if (!target) {
    // Placed when the target is (persist-remote.ts applyPendingRedactions).
    await pendingRedactionsTable.put(tx, { target_id: targetId, redaction_id: redaction.event_id });
    return;
  }
  if (target.redacted_by !== undefined) return;
  if (!redactionApplies(redaction, target.pdu, authState, version).ok) return;
  const pruned: EventRow = {
    ...target,
    pdu: redactEvent(target.pdu, version),
    redacted_by: redaction.event_id,
  };
  delete pruned.relates_to;
  delete pruned.rel_type;
  // Out of the search index: the entries were of the text redacted.
  delete pruned.search;
  await eventsTable.put(tx, pruned);
  if (target.type === 'm.room.member' && target.state_key !== undefined) {
    const member = await membersTable.get(tx, [target.room_id, target.state_key]);
    if (member?.event_id === target.event_id) {
      const { displayname: _d, avatar_url: _a, ...rest } = member;
      await membersTable.put(tx, rest);
    }
  }
}
