// What placing a batch of events from peers in one write transaction
// (persist-remote.ts) reads once for the whole batch instead of once per
// event: the room's row, its forward extremities, the stream counter, and
// which of the batch's events already have children (late arrivals), wait
// for a redaction or have thread replies. Those reads are issued together,
// each without awaiting the one before (IndexedDB answers the requests of a
// transaction in order; each awaited one is a round trip to another
// process), and the batch keeps them true as its events are placed: nothing
// else writes these rows inside the transaction. Writes are issued without
// awaiting each too; finish() awaits them all (so a failed write still
// fails the transaction) and writes the counter and the extremities once.
// The rows nothing reads back while the batch places (DAG edges, search
// terms) are deferred and written a table at a time (putAll: in IndexedDB
// one bulk request instead of one request and promise per row).
import type { Key, Row, WriteTx } from '../storage/port.ts';
import type { Table } from '../storage/table.ts';
import { currentStreamPosition, setStreamPosition } from '../storage/stream.ts';
import { threadReplies } from './threads.ts';
import {
  edgesTable,
  eventsTable,
  extremitiesTable,
  pendingRedactionsTable,
  type RoomRow,
  roomsTable,
} from './tables.ts';

/** Keys of the rows whose primary key starts with `id` (compound keys [id, …]). */
const startingWith = (id: string) => ({ range: { lower: [id, ''], upper: [id, '\uffff'] } }) as const;

export class RemoteBatch {
  private readonly tx: WriteTx;
  /** The room's row as the batch left it. */
  room: RoomRow;
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
  private readonly issued: Promise<unknown>[] = [];
  private readonly deferred = new Map<Table<Row, Key>, Row[]>();

  private constructor(
    tx: WriteTx,
    room: RoomRow,
    extremities: readonly string[],
    stream: number,
    facts: { children: Set<string>; pending: Set<string>; replies: Set<string> },
  ) {
    this.tx = tx;
    this.room = room;
    this.initialExtremities = new Set(extremities);
    this.extremitySet = new Set(extremities);
    this.stream = this.initialStream = stream;
    this.hadChildren = facts.children;
    this.hadPendingRedactions = facts.pending;
    this.hadThreadReplies = facts.replies;
  }

  /** Reads what placing `eventIds` (events of `roomId` not placed yet) needs, all requests at once. */
  static async open(tx: WriteTx, roomId: string, eventIds: readonly string[]): Promise<RemoteBatch> {
    const ids = [...new Set(eventIds)];
    const which = async (ask: (id: string) => Promise<number>) => {
      const counts = await Promise.all(ids.map(ask));
      return new Set(ids.filter((_, i) => counts[i]! > 0));
    };
    // Redactions rarely wait for their target: when none waits at all, one count answers for every event.
    const pendingOf = async () =>
      (await pendingRedactionsTable.count(tx)) === 0
        ? new Set<string>()
        : which((id) => pendingRedactionsTable.count(tx, startingWith(id)));
    const [room, extremities, counter, children, pending, replies] = await Promise.all([
      roomsTable.get(tx, roomId),
      extremitiesTable.query(tx, { index: 'room', equals: roomId }),
      currentStreamPosition(tx),
      which((id) => edgesTable.count(tx, startingWith(id))),
      pendingOf(),
      which((id) => eventsTable.count(tx, threadReplies(id))),
    ]);
    if (!room) throw new Error(`room ${roomId} is not held here`);
    return new RemoteBatch(
      tx,
      room,
      extremities.map((r) => r.event_id),
      counter,
      { children, pending, replies },
    );
  }

  /** A write of this transaction, awaited by finish(). */
  issue(write: Promise<unknown>): void {
    // Handled here too: a batch that fails before finish() must not leave an unhandled rejection.
    write.catch(() => {});
    this.issued.push(write);
  }

  /**
   * A row of a table nothing reads or deletes from before flush() (or
   * finish()), written with the others of its table in one putAll.
   */
  defer<R extends Row>(table: Table<R, Key>, row: R): void {
    const rows = this.deferred.get(table as unknown as Table<Row, Key>);
    if (rows) rows.push(row);
    else this.deferred.set(table as unknown as Table<Row, Key>, [row]);
  }

  /** Issues the deferred writes: before anything reads or deletes in their tables (a redaction unindexes). */
  flush(): void {
    for (const [table, rows] of this.deferred) this.issue(table.putAll(this.tx, rows));
    this.deferred.clear();
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

  /** `eventId` placed in the DAG: it replaces its prev events as extremity unless it has children. */
  placeInDag(eventId: string, prevEvents: readonly string[]): void {
    for (const prev of prevEvents) {
      this.extremitySet.delete(prev);
      this.namedAsPrev.add(prev);
      this.defer(edgesTable, { prev_id: prev, event_id: eventId });
    }
    if (!this.hasChildren(eventId)) this.extremitySet.add(eventId);
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

  /** A thread reply to `rootId` was placed by this batch. */
  noteThreadReply(rootId: string): void {
    this.threadRepliesPlaced.add(rootId);
  }

  /** Writes the counter and the extremities, and awaits every write issued. */
  async finish(): Promise<void> {
    const roomId = this.room.room_id;
    this.flush();
    if (this.stream !== this.initialStream) this.issue(setStreamPosition(this.tx, this.stream));
    for (const id of this.initialExtremities)
      if (!this.extremitySet.has(id)) this.issue(extremitiesTable.delete(this.tx, [roomId, id]));
    for (const id of this.extremitySet)
      if (!this.initialExtremities.has(id))
        this.issue(extremitiesTable.put(this.tx, { room_id: roomId, event_id: id }));
    const issued = this.issued.splice(0);
    await Promise.all(issued);
  }
}
