// What placing a batch of events from peers in one write transaction
// (persist-remote.ts) reads once for the whole batch instead of once per
// event: the room's row, its forward extremities, the stream counter, and
// which of the batch's events already have children (late arrivals), wait
// for a redaction or have thread replies. Children and thread replies are
// asked only of the ids the room's `room_referenced` rows name (tables.ts):
// an event can have them before it is placed only if an event named it
// while it was not, and that wrote the row; the rows are read with one
// request for the whole batch (each id's row asked on its own when the room
// has more than REFERENCED_READ). Rooms from before that table ask every
// event, as they did. Those reads are issued together,
// each without awaiting the one before (IndexedDB answers the requests of a
// transaction in order; each awaited one is a round trip to another
// process), and the batch keeps them true as its events are placed: nothing
// else writes these rows inside the transaction. Writes are issued without
// awaiting each too; finish() awaits them all (so a failed write still
// fails the transaction) and writes the counter and the extremities (one
// row: extremities.ts) once.
// The rows nothing reads back while the batch places (DAG edges named
// later) wait for flush(). (A received event's search entries are in its
// own row: search-index.ts.) An event the caller presumed not held, without
// reading its row (receive-pdus.ts), is added rather than put: found held
// after all, the write fails with EventHeldAfterAll and nothing of it stays.
import { issued } from '../storage/issued.ts';
import type { WriteTx } from '../storage/port.ts';
import { currentStreamPosition, setStreamPosition } from '../storage/stream.ts';
import { type Extremities, readExtremities, writeExtremities } from './extremities.ts';
import { threadReplies } from './threads.ts';
import {
  type EdgeRow,
  type EventRow,
  edgesTable,
  eventsTable,
  pendingRedactionsTable,
  referencedTable,
  type RoomRow,
  roomsTable,
  startingWith,
} from './tables.ts';

/** Up to this many of a room's referenced ids are read at once; beyond, each event's row is asked. */
export const REFERENCED_READ = 256;

/** Which of `ids` (events of `roomId`) the room's `room_referenced` rows name. */
async function referencedAmong(tx: WriteTx, roomId: string, ids: readonly string[]): Promise<Set<string>> {
  const rows = await referencedTable.query(tx, { ...startingWith(roomId), limit: REFERENCED_READ + 1 });
  if (rows.length <= REFERENCED_READ) {
    const named = new Set(rows.map((r) => r.event_id));
    return new Set(ids.filter((id) => named.has(id)));
  }
  const held = await Promise.all(ids.map((id) => referencedTable.get(tx, [roomId, id])));
  return new Set(ids.filter((_, i) => held[i] !== undefined));
}

/**
 * Writes what tells each prev event of `named` (one that may be placed
 * later: tables.ts mayBePlacedLater) that the events it maps to name it: its
 * `room_referenced` row (unless `written` has it already; added there) and
 * the edges, each table's rows in one request. Returns the writes issued.
 */
export function writeNamedLater(
  tx: WriteTx,
  roomId: string,
  named: ReadonlyMap<string, readonly string[]>,
  written = new Set<string>(),
): Promise<unknown>[] {
  const writes: Promise<unknown>[] = [];
  const rows = [...named.keys()].filter((id) => !written.has(id));
  if (rows.length > 0)
    writes.push(
      referencedTable.putAll(
        tx,
        rows.map((id) => ({ room_id: roomId, event_id: id })),
      ),
    );
  for (const id of rows) written.add(id);
  const edges = [...named].flatMap(([prev, children]) =>
    children.map((child) => ({ prev_id: prev, event_id: child }) satisfies EdgeRow),
  );
  if (edges.length > 0) writes.push(edgesTable.putAll(tx, edges));
  return writes;
}

/**
 * An event presumed not held (RemoteBatch.open's `presumedNew`) was held:
 * the write that placed it must abort, and the caller place its batch again
 * knowing what is held.
 */
export class EventHeldAfterAll extends Error {
  override readonly name = 'EventHeldAfterAll';
  constructor(eventId: string) {
    super(`${eventId} was presumed not held, and is`);
  }
}

/** What RemoteBatch.open takes beside the events: what the caller read (or presumed) of them. */
export interface BatchReads {
  /** Whether an event may be placed later as far as the caller read (tables.ts mayBePlacedLater). */
  readonly laterAsRead?: (eventId: string) => boolean;
  /** Whether the caller presumed the event not held without reading its row: its row is added (writeEvent). */
  readonly presumedNew?: (eventId: string) => boolean;
}

export class RemoteBatch {
  private readonly tx: WriteTx;
  /** The room's row as the batch left it. */
  room: RoomRow;
  /** The room's extremities as open() read them (finish() writes them back when changed). */
  private readonly extremitiesRead: Extremities;
  private readonly initialExtremities: ReadonlySet<string>;
  private readonly extremitySet: Set<string>;
  private stream: number;
  private readonly initialStream: number;
  private readonly hadChildren: ReadonlySet<string>;
  private readonly namedAsPrev = new Set<string>();
  private readonly hadPendingRedactions: ReadonlySet<string>;
  private redactionPlaced = false;
  private readonly hadThreadReplies: ReadonlySet<string>;
  private readonly threadRepliesPlaced = new Set<string>();
  /** The batch's ids that `room_referenced` names (their rows go as they are placed). */
  private readonly referenced: ReadonlySet<string>;
  private readonly placed = new Set<string>();
  private readonly laterAsRead: (eventId: string) => boolean;
  private readonly presumedNew: (eventId: string) => boolean;
  /**
   * Prev events named by this batch that may be placed later, with the
   * events naming them: their rows and edges wait for flush(), and go
   * unwritten when the batch places them itself (settle()).
   */
  private readonly laterNamed = new Map<string, string[]>();
  /** Ids whose `room_referenced` row this batch wrote (flushed, or a thread reply's root: threads.ts). */
  private readonly rowsWritten = new Set<string>();
  private readonly writes = issued();

  private constructor(
    tx: WriteTx,
    room: RoomRow,
    extremities: Extremities,
    stream: number,
    facts: { children: Set<string>; pending: Set<string>; replies: Set<string>; referenced: Set<string> },
    reads: BatchReads,
  ) {
    this.tx = tx;
    this.room = room;
    this.extremitiesRead = extremities;
    this.initialExtremities = new Set(extremities.ids);
    this.extremitySet = new Set(extremities.ids);
    this.stream = this.initialStream = stream;
    this.hadChildren = facts.children;
    this.hadPendingRedactions = facts.pending;
    this.hadThreadReplies = facts.replies;
    this.referenced = facts.referenced;
    this.laterAsRead = reads.laterAsRead ?? (() => true);
    this.presumedNew = reads.presumedNew ?? (() => false);
  }

  /** Reads what placing `eventIds` (events of `roomId` not placed yet) needs, all requests at once. */
  static async open(
    tx: WriteTx,
    roomId: string,
    eventIds: readonly string[],
    reads: BatchReads = {},
  ): Promise<RemoteBatch> {
    const ids = [...new Set(eventIds)];
    const which = async (among: readonly string[], ask: (id: string) => Promise<number>) => {
      const counts = await Promise.all(among.map(ask));
      return new Set(among.filter((_, i) => counts[i]! > 0));
    };
    // Redactions rarely wait for their target: when none waits at all, one count answers for every event.
    const pendingOf = async () =>
      (await pendingRedactionsTable.count(tx)) === 0
        ? new Set<string>()
        : which(ids, (id) => pendingRedactionsTable.count(tx, startingWith(id)));
    const [room, extremities, counter, pending, referenced] = await Promise.all([
      roomsTable.get(tx, roomId),
      readExtremities(tx, roomId),
      currentStreamPosition(tx),
      pendingOf(),
      referencedAmong(tx, roomId, ids),
    ]);
    if (!room) throw new Error(`room ${roomId} is not held here`);
    // Only these may have children or thread replies already (all of them in a room from before the table).
    const asked = room.referenced ? [...referenced] : ids;
    const [children, replies] = await Promise.all([
      which(asked, (id) => edgesTable.count(tx, startingWith(id))),
      which(asked, (id) => eventsTable.count(tx, threadReplies(id))),
    ]);
    return new RemoteBatch(tx, room, extremities, counter, { children, pending, replies, referenced }, reads);
  }

  /** A write of this transaction, awaited by finish(). */
  issue(write: Promise<unknown>): void {
    this.writes.add(write);
  }

  /**
   * Writes the row of an event this batch places: put, or added when the
   * caller presumed the event not held, in which case a row held after all
   * fails the write (EventHeldAfterAll) where finish() awaits it.
   */
  writeEvent(row: EventRow): void {
    if (!this.presumedNew(row.event_id)) {
      this.issue(eventsTable.put(this.tx, row));
      return;
    }
    this.issue(
      eventsTable.add(this.tx, row).then((added) => {
        if (!added) throw new EventHeldAfterAll(row.event_id);
      }),
    );
  }

  /** Issues the writes of prev events named that may be placed later (laterNamed): finish() does (tests call it to look between). */
  flush(): void {
    for (const write of writeNamedLater(this.tx, this.room.room_id, this.laterNamed, this.rowsWritten))
      this.issue(write);
    this.laterNamed.clear();
  }

  /** The next stream position (storage/stream.ts); the counter is written by finish(). */
  nextStreamPosition(): number {
    return ++this.stream;
  }

  /** The room's forward extremities as the batch left them. */
  extremities(): ReadonlySet<string> {
    return this.extremitySet;
  }

  /** Whether an event already names `eventId` as a prev event (held before, or placed by this batch). */
  hasChildren(eventId: string): boolean {
    return this.hadChildren.has(eventId) || this.namedAsPrev.has(eventId);
  }

  /**
   * `eventId` placed in the DAG: it replaces its prev events as extremity
   * unless it has children. A prev event that may be placed later (not
   * placed by this batch, no forward extremity, and so as the caller read
   * it) is kept as referenced, with the edge, so that placing it then knows
   * it has children; the edge from one that is placed is never asked for,
   * and is not written (a request per event less).
   */
  placeInDag(eventId: string, prevEvents: readonly string[]): void {
    for (const prev of prevEvents) {
      // Only a prev event that may be placed later is ever asked whether it has children (open()).
      if (this.mayBePlacedLater(prev)) {
        const children = this.laterNamed.get(prev);
        if (children) children.push(eventId);
        else this.laterNamed.set(prev, [eventId]);
      }
      this.extremitySet.delete(prev);
      this.namedAsPrev.add(prev);
    }
    if (!this.hasChildren(eventId)) this.extremitySet.add(eventId);
    this.settle(eventId);
  }

  /**
   * `eventId` is stored with its place (in the DAG, or rejected or
   * soft-failed): it is never placed again, and its `room_referenced` row goes:
   * the one read at open(), or one this batch wrote; one it would write
   * (named by an event placed before it in the batch: a child before its
   * parent, v1/v2 cycles) is not written, nor its edges, which only an
   * event not placed is asked for (found in review: it outlived the event).
   */
  settle(eventId: string): void {
    this.placed.add(eventId);
    this.laterNamed.delete(eventId);
    if (this.referenced.has(eventId) || this.rowsWritten.has(eventId))
      this.issue(referencedTable.delete(this.tx, [this.room.room_id, eventId]));
  }

  private mayBePlacedLater(eventId: string): boolean {
    return !this.placed.has(eventId) && !this.initialExtremities.has(eventId) && this.laterAsRead(eventId);
  }

  /** Whether a redaction may wait for `eventId` (false means certainly none). */
  mayHavePendingRedactions(eventId: string): boolean {
    return this.redactionPlaced || this.hadPendingRedactions.has(eventId);
  }

  /** A redaction was placed: it may have left a pending row for a later event of the batch. */
  notePlacedRedaction(): void {
    this.redactionPlaced = true;
  }

  /** Whether `rootId` has thread replies (counted only when it may). */
  async hasThreadReplies(rootId: string): Promise<boolean> {
    if (!this.hadThreadReplies.has(rootId) && !this.threadRepliesPlaced.has(rootId)) return false;
    return (await eventsTable.count(this.tx, threadReplies(rootId))) > 0;
  }

  /**
   * A thread reply to `rootId` was placed by this batch: threads.ts wrote
   * the root's `room_referenced` row when it may be placed later, and the
   * batch may place it after the reply (its prev events order it, not its thread).
   */
  noteThreadReply(rootId: string): void {
    this.threadRepliesPlaced.add(rootId);
    if (!this.placed.has(rootId)) this.rowsWritten.add(rootId);
  }

  /** Writes the counter and the extremities (their one row, when they changed), and awaits every write issued. */
  async finish(): Promise<void> {
    this.flush();
    if (this.stream !== this.initialStream) this.issue(setStreamPosition(this.tx, this.stream));
    const changed =
      this.extremitySet.size !== this.initialExtremities.size ||
      [...this.extremitySet].some((id) => !this.initialExtremities.has(id));
    if (changed) this.issue(writeExtremities(this.tx, this.extremitiesRead, this.extremitySet));
    await this.writes.settled();
  }
}
