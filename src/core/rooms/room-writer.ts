// The local room server's write path: read the room's extremities and state,
// build and sign the event outside any transaction, then check and persist it
// in one write transaction, and wake sync after the commit.
//
// A plain send (no guard, no computed content) into a room whose last event
// was this writer's own skips the read: the writer remembers what that
// event left (extremities, the state it looked up), and the write
// transaction checks that the room's extremities are still exactly that
// event, so nothing was added since (StaleExtremities otherwise: the send is
// built again from a read). One storage transaction less before a client's
// send is acknowledged.
import { MatrixError, notFound } from '../errors.ts';
import type { Clock } from '../ports.ts';
import type { Signer } from '../protocol/ed25519.ts';
import {
  type JsonObject,
  type RoomEvent,
  type RoomVersion,
  authEventTypesFor,
  roomVersion,
  stateKeyOf,
} from '../protocol.ts';
import type { ReadTx, Store, WriteTx } from '../storage/port.ts';
import { STREAM_TABLE } from '../storage/stream.ts';
import type { Notifier } from '../events/notifier.ts';
import { type EventDraft, type PrevEvent, buildEvent } from './event-builder.ts';
import type { LocalEventHooks } from './deps.ts';
import { readExtremities } from './extremities.ts';
import { StaleExtremities, type TxnRecord, TxnTaken, persistEvent } from './persist-event.ts';
import { KeyedQueue } from '../keyed-queue.ts';
import { BoundedCache } from '../protocol/bounded-cache.ts';
import { currentStateTable, eventsTable, roomsTable, roomTableNames, roomTxnsTable } from './tables.ts';

export interface WriterDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly notifier: Notifier;
  readonly serverName: string;
  readonly signer: Signer;
}

export interface SendResult {
  readonly eventId: string;
  readonly stream?: number;
}

export interface SendOptions {
  readonly txn?: TxnRecord;
  /**
   * Runs under the room's lock in the read transaction the event is built
   * from: throws to refuse, or returns an event id that already does what was
   * asked (nothing is sent then).
   */
  readonly guard?: (tx: ReadTx) => Promise<string | undefined>;
  /** Computes the content under the room's lock from the current state (replaces the draft's content). */
  readonly content?: (tx: ReadTx) => Promise<JsonObject>;
}

const WRITE_TABLES = [...roomTableNames, STREAM_TABLE];
const ATTEMPTS = 3;
/** Rooms whose last local send is remembered. */
const REMEMBERED_ROOMS = 1_000;

interface BuildState {
  readonly draft: EventDraft;
  readonly version: RoomVersion;
  readonly prevEvents: PrevEvent[];
  readonly state: Map<string, string>;
  /** Built from what the last send left, not read: the txn id is checked in the write. */
  readonly remembered?: boolean;
}

/** What a room's last local send left: its event as the only extremity, and the state keys looked up. */
interface LastSend {
  readonly version: RoomVersion;
  readonly prevEvents: PrevEvent[];
  readonly state: Map<string, string>;
  /** State keys looked up (found in `state` or absent from the room). */
  readonly looked: Set<string>;
}

export class RoomWriter {
  private readonly deps: WriterDeps;
  /** One local writer per room at a time: events are built on the room's current extremities. */
  private readonly locks = new KeyedQueue();

  /** The timestamp of the last room created here whose create event's id names it. */
  private lastHashedCreate = 0;

  private readonly lastSends = new BoundedCache<string, LastSend>(REMEMBERED_ROOMS);

  /** Told about every local event in the transaction that persists it (federation's outbox, once connected). */
  private readonly localEvents: () => LocalEventHooks | undefined;

  constructor(deps: WriterDeps, localEvents: () => LocalEventHooks | undefined = () => undefined) {
    this.localEvents = localEvents;
    this.deps = deps;
  }

  /**
   * Runs fn while no local event of the room is being written (federation
   * persists events from peers under it, so local sends are not raced).
   */
  exclusive<T>(roomId: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(roomId, fn);
  }

  private get tables(): readonly string[] {
    const extra = this.localEvents()?.tables ?? [];
    return extra.length === 0 ? WRITE_TABLES : [...new Set([...WRITE_TABLES, ...extra])];
  }

  /** Sends one local event into an existing room (see the header); 404 for unknown rooms. */
  send(roomId: string, draft: EventDraft, options: SendOptions = {}): Promise<SendResult> {
    return this.locks.run(roomId, async () => {
      for (let attempt = 1; ; attempt++) {
        const prepared =
          (attempt === 1 && this.remembered(roomId, draft, options)) ||
          (await this.deps.store.read(roomTableNames, (tx) => this.prepare(tx, roomId, draft, options)));
        if ('eventId' in prepared) return prepared;
        const event = await this.build(roomId, prepared.draft, prepared);
        this.lastSends.delete(roomId);
        try {
          const stream = await this.deps.store.write(this.tables, (tx) =>
            this.persist(tx, event, prepared, options.txn),
          );
          this.remember(prepared, event);
          this.notify([event]);
          return { eventId: event.event_id, stream };
        } catch (error) {
          // The txn id was used meanwhile (a client retrying a send the
          // remembered path did not read for): the answer is its event,
          // read now that the write is gone. Rows of room_txns are never
          // deleted, but should one be, the next attempt starts over.
          if (error instanceof TxnTaken && options.txn) {
            const done = await this.deps.store.read([roomTxnsTable.name], (tx) =>
              roomTxnsTable.get(tx, txnKey(options.txn!)),
            );
            if (done) return { eventId: done.event_id };
          } else if (!(error instanceof StaleExtremities)) throw error;
          if (attempt >= ATTEMPTS) throw error;
        }
      }
    });
  }

  /**
   * A send's write, its requests in as few round trips to the store as they
   * allow: the checks are persistEvent's (the extremities still those the
   * event was built on, on the reads it makes anyway; the txn id unused, by
   * its insert-if-new among the writes), and a failed check rolls back the
   * whole transaction (it throws). The outbox's requests go out beside the
   * event's, except after a member event's: a membership changes whom the
   * event goes to.
   */
  private async persist(
    tx: WriteTx,
    event: RoomEvent,
    prepared: BuildState,
    txn: TxnRecord | undefined,
  ): Promise<number> {
    const hooks = this.localEvents();
    const member = event.type === 'm.room.member';
    const builtOn = prepared.prevEvents.map((p) => p.eventId);
    const persisting = (async () => {
      const position = await persistEvent(tx, event, prepared.version, txn, builtOn);
      if (member) await hooks?.persisted(tx, [event]);
      return position;
    })();
    const queueing = member ? undefined : hooks?.persisted(tx, [event]);
    // What the outbox's requests throw after persisting failed (a stale room,
    // a used txn id, the auth rules) is the abort's echo: persisting's error
    // is the answer.
    queueing?.catch(() => undefined);
    const [position] = await Promise.all([persisting, queueing]);
    return position;
  }

  /** A plain send built on what the room's last local send left, when it looked up every state key this one needs. */
  private remembered(roomId: string, draft: EventDraft, options: SendOptions): BuildState | undefined {
    const last = this.lastSends.get(roomId);
    if (!last || options.guard || options.content) return undefined;
    const input = {
      type: draft.type,
      sender: draft.sender,
      state_key: draft.stateKey,
      content: draft.content,
    };
    const keys = authEventTypesFor(input, last.version).map(({ type, stateKey }) =>
      stateKeyOf(type, stateKey),
    );
    if (!keys.every((key) => last.looked.has(key))) return undefined;
    return { draft, version: last.version, prevEvents: last.prevEvents, state: last.state, remembered: true };
  }

  private remember(prepared: BuildState, event: RoomEvent): void {
    const previous = this.lastSends.get(event.room_id);
    const state = new Map(prepared.state);
    const looked = new Set([
      ...(prepared.remembered ? (previous?.looked ?? []) : []),
      ...prepared.state.keys(),
    ]);
    const input = {
      type: event.type,
      sender: event.sender,
      state_key: event.state_key,
      content: event.content,
    };
    for (const { type, stateKey } of authEventTypesFor(input, prepared.version)) {
      looked.add(stateKeyOf(type, stateKey));
    }
    if (event.state_key !== undefined) {
      const key = stateKeyOf(event.type, event.state_key);
      state.set(key, event.event_id);
      looked.add(key);
    }
    this.lastSends.set(event.room_id, {
      version: prepared.version,
      prevEvents: [{ eventId: event.event_id, depth: event.depth }],
      state,
      looked,
    });
  }

  /**
   * Creates a room from its first events (create event first), building each
   * on the one before, and persists them all in one transaction, together
   * with whatever `alongside` writes (aliases, directory visibility).
   * `roomId`: undefined from room version 12 on, where the create event's id
   * names the room (the events then carry that id). Two rooms created alike
   * in the same millisecond would get the same id, so such rooms get a
   * timestamp after the last one created here, and if the id is taken all
   * the same (after a restart) the next attempt moves it a millisecond on.
   */
  async create(
    roomId: string | undefined,
    version: RoomVersion,
    drafts: readonly EventDraft[],
    alongside?: (tx: WriteTx, roomId: string) => Promise<void>,
  ): Promise<RoomEvent[]> {
    for (let attempt = 0; ; attempt++) {
      let now = this.deps.clock.now();
      if (roomId === undefined) {
        now = Math.max(now, this.lastHashedCreate + 1);
        this.lastHashedCreate = now;
      }
      const events = await this.buildRoom(roomId, version, drafts, now);
      const id = events[0]!.room_id;
      const taken = await this.locks.run(id, () =>
        this.deps.store.write(this.tables, async (tx) => {
          if (await roomsTable.get(tx, id)) return true;
          for (const event of events) await persistEvent(tx, event, version);
          await alongside?.(tx, id);
          await this.localEvents()?.persisted(tx, events);
          return false;
        }),
      );
      if (!taken) {
        this.notify(events);
        return events;
      }
      if (roomId !== undefined || attempt >= ATTEMPTS) {
        throw new MatrixError(400, 'M_ROOM_IN_USE', 'room id already taken');
      }
    }
  }

  private async buildRoom(
    roomId: string | undefined,
    version: RoomVersion,
    drafts: readonly EventDraft[],
    now: number,
  ): Promise<RoomEvent[]> {
    const state = new Map<string, string>();
    const events: RoomEvent[] = [];
    let prevEvents: PrevEvent[] = [];
    let id = roomId ?? '';
    for (const draft of drafts) {
      const event = await this.build(id, draft, { draft, version, prevEvents, state }, now);
      id = event.room_id;
      events.push(event);
      prevEvents = [{ eventId: event.event_id, depth: event.depth }];
      if (event.state_key !== undefined) state.set(stateKeyOf(event.type, event.state_key), event.event_id);
    }
    return events;
  }

  private async prepare(
    tx: ReadTx,
    roomId: string,
    requested: EventDraft,
    options: SendOptions,
  ): Promise<BuildState | SendResult> {
    const room = await roomsTable.get(tx, roomId);
    const version = room && roomVersion(room.version);
    if (!room || !version) throw notFound(`unknown room ${roomId}`);
    if (options.txn) {
      // Spec: the transaction id makes the request idempotent. A reused id
      // answers the event it made, whatever the body says now, as Synapse
      // does and clients expect (a retry after an edit must not send twice).
      const done = await roomTxnsTable.get(tx, txnKey(options.txn));
      if (done) return { eventId: done.event_id };
    }
    const existing = await options.guard?.(tx);
    if (existing !== undefined) return { eventId: existing };
    const draft = options.content ? { ...requested, content: await options.content(tx) } : requested;
    const state = new Map<string, string>();
    const input = {
      type: draft.type,
      sender: draft.sender,
      state_key: draft.stateKey,
      content: draft.content,
    };
    for (const { type, stateKey } of authEventTypesFor(input, version)) {
      const row = await currentStateTable.get(tx, [roomId, type, stateKey]);
      if (row) state.set(stateKeyOf(type, stateKey), row.event_id);
    }
    return { draft, version, prevEvents: await extremities(tx, roomId), state };
  }

  private build(
    roomId: string,
    draft: EventDraft,
    at: BuildState,
    now = this.deps.clock.now(),
  ): Promise<RoomEvent> {
    return buildEvent(draft, {
      version: at.version,
      roomId,
      stateId: (type, stateKey) => at.state.get(stateKeyOf(type, stateKey)),
      prevEvents: at.prevEvents,
      now,
      serverName: this.deps.serverName,
      signer: this.deps.signer,
    });
  }

  private notify(events: readonly RoomEvent[]): void {
    this.localEvents()?.committed(events);
    const users = events
      .filter((e) => e.type === 'm.room.member' && e.state_key !== undefined)
      .map((e) => e.state_key!);
    this.deps.notifier.notify({ rooms: [...new Set(events.map((e) => e.room_id))], users });
  }
}

function txnKey(txn: TxnRecord): [string, string, string] {
  return [txn.userId, txn.deviceId, txn.key];
}

async function extremities(tx: ReadTx, roomId: string): Promise<PrevEvent[]> {
  const out: PrevEvent[] = [];
  for (const eventId of (await readExtremities(tx, roomId)).ids) {
    const event = await eventsTable.get(tx, eventId);
    if (event) out.push({ eventId, depth: event.depth });
  }
  return out;
}
