// One sender per destination drains its part of the persisted outbox
// (outbox.ts): invites go one by one with PUT /v2/invite, PDUs and EDUs in
// transactions (PUT /v1/send/{txnId}) of at most 50 PDUs and 100 EDUs
// (spec: "Transactions"). A failed transaction is retried as it was, with
// the same txnId, so the receiver can tell a repeat; failures back off
// (backoff.ts) until the transport reports the peer up again.
//
// A local event's rows are handed over after their commit with the PDU
// itself (outbound.ts), and while a sender knows every row queued for its
// destination (its last read took them all, and since then it was only
// handed rows, never merely woken) it makes the next transaction from what
// it was handed, without reading storage: one storage transaction less
// before a message leaves. Rows are still deleted only once delivered, so a
// worker killed at any point sends them after its restart (resume).
//
// A transaction of PDUs alone does not delete its rows in a write of its
// own: that write (a commit flushed to disk) held the outbox while the next
// message's send waited for it (issue 13: 8 ms of a 16 ms send, under load).
// The next local send's write deletes them (outbound.ts), or, when none comes
// within DELETE_DELAY_MS, a write of their own. Until then the senders pass
// them over. A worker killed in between sends them again after its restart:
// a PDU sent twice is one event to the receiver (spec: events are
// idempotent by event id), which is why EDUs and invites, not idempotent,
// are still deleted at once.
import type { Clock, Logger } from '../ports.ts';
import type { Pdu } from '../protocol.ts';
import type { Store, WriteTx } from '../storage/port.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import { DELIVERY_READ_TABLES, loadPdus, sendInvite, sendTransaction } from './deliveries.ts';
import type { FederationClient } from './federation-client.ts';
import { type PendingBatch, pendingDestinations, pendingFor, removeIds, removeRows } from './outbox.ts';
import { OUTBOX, type OutboxRow } from './tables.ts';

/** A committed outbox row of a local event, with the PDU it sends (invites have none). */
export interface Handed {
  readonly row: OutboxRow;
  readonly pdu?: Pdu;
}

/** Handed rows a sender holds at most; past this it forgets them and reads storage again. */
const MAX_HANDED = 1_000;

/** How long delivered PDU rows wait for a local send's write to delete them (see the header). */
export const DELETE_DELAY_MS = 250;

export interface SenderDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly serverName: string;
  readonly client: FederationClient;
  readonly backoff: BackoffOptions;
  /** Spec: at most 50 PDUs and 100 EDUs per transaction. */
  readonly maxPdus: number;
  readonly maxEdus: number;
}

/** `idle`: nothing queued; `sending`: a delivery is under way; `backing-off`: waiting after a failure. */
export type SenderState = 'idle' | 'sending' | 'backing-off';

export interface Senders {
  /** Something was queued for the destination. */
  wake(destination: string): void;
  /** These rows were queued for the destination and have committed (in the order of their ids). */
  handOff(destination: string, entries: readonly Handed[]): void;
  /** The peer is reachable again: forget its backoff and send now. */
  peerUp(destination: string): void;
  /**
   * `origin` sent us a request (authenticated by the transport): it is up, so
   * a send to it waiting out a backoff is tried now. A peer that stalled
   * (a stopped process, a frozen tab) keeps its connection, and no `up`
   * tells us it is back; Synapse resets a destination's retry timings on any
   * valid signed request from it, for the same reason (its Authenticator,
   * "If we get a valid signed request from the other side, its probably alive").
   */
  heardFrom(origin: string): void;
  /** Starts a sender for every destination with queued rows (after a restart). */
  resume(): Promise<void>;
  /** What the destination's sender does now (tests and benches wait on it). */
  state(destination: string): SenderState;
  /**
   * Deletes, in the caller's write, the rows delivered whose deletion is
   * still to come (see the header); returns their ids for `removed`.
   */
  removeDelivered(tx: WriteTx): Promise<readonly number[]>;
  /** The write of removeDelivered committed. */
  removed(ids: readonly number[]): void;
  close(): void;
}

/** Rows delivered whose deletion has not committed yet, and the write that deletes them if no send does. */
class DeliveredRows {
  private readonly deps: SenderDeps;
  /** Each row's id, with when it was delivered (in order: the first waited longest). */
  private readonly ids = new Map<number, number>();
  private scheduled = false;
  private stopped = false;
  private cancel: () => void = () => {};

  constructor(deps: SenderDeps) {
    this.deps = deps;
  }

  has = (id: number): boolean => this.ids.has(id);

  add(ids: readonly number[]): void {
    const now = this.deps.clock.now();
    for (const id of ids) if (!this.ids.has(id)) this.ids.set(id, now);
    if (!this.scheduled && !this.stopped) void this.removeLater();
  }

  async removeIn(tx: WriteTx): Promise<readonly number[]> {
    const ids = [...this.ids.keys()];
    await removeIds(tx, ids);
    return ids;
  }

  removed(ids: readonly number[]): void {
    for (const id of ids) this.ids.delete(id);
  }

  stop(): void {
    this.stopped = true;
    this.cancel();
  }

  /**
   * Once a row has waited DELETE_DELAY_MS, deletes in a write of their own
   * the rows no send's write deleted. Rows the sends keep taking never come
   * due: while messages go out, no commit of its own competes with theirs.
   */
  private async removeLater(): Promise<void> {
    this.scheduled = true;
    const cancelled = new Promise<void>((resolve) => {
      this.cancel = resolve;
    });
    for (;;) {
      const first = this.ids.values().next();
      if (first.done || this.stopped) break;
      const due = first.value + DELETE_DELAY_MS - this.deps.clock.now();
      if (due <= 0) break;
      await this.deps.clock.sleep(due, cancelled);
    }
    try {
      if (this.stopped || this.ids.size === 0) return;
      this.removed(await this.deps.store.write([OUTBOX], (tx) => this.removeIn(tx)));
    } catch (err) {
      this.deps.logger.debug('delivered outbox rows not deleted yet', { error: String(err) });
    } finally {
      this.scheduled = false;
      if (this.ids.size > 0 && !this.stopped) void this.removeLater();
    }
  }
}

export function createSenders(deps: SenderDeps): Senders {
  const senders = new Map<string, DestinationSender>();
  const delivered = new DeliveredRows(deps);
  let closed = false;
  const get = (destination: string) => {
    let sender = senders.get(destination);
    if (!sender) {
      sender = new DestinationSender(deps, destination, () => closed, delivered);
      senders.set(destination, sender);
    }
    return sender;
  };
  return {
    wake: (destination) => {
      if (!closed && destination !== deps.serverName) get(destination).wake();
    },
    handOff: (destination, entries) => {
      if (!closed && destination !== deps.serverName) get(destination).handOff(entries);
    },
    peerUp: (destination) => {
      if (!closed && destination !== deps.serverName) get(destination).peerUp();
    },
    // Only a sender that exists and waits: a request makes no sender, nor one more attempt than that.
    heardFrom: (origin) => {
      const sender = senders.get(origin);
      if (!closed && sender?.state === 'backing-off') sender.peerUp();
    },
    resume: async () => {
      const destinations = await deps.store.read([OUTBOX], pendingDestinations);
      for (const destination of destinations) if (!closed) get(destination).wake();
    },
    state: (destination) => senders.get(destination)?.state ?? 'idle',
    removeDelivered: (tx) => delivered.removeIn(tx),
    removed: (ids) => delivered.removed(ids),
    close: () => {
      closed = true;
      delivered.stop();
      for (const sender of senders.values()) sender.stop();
    },
  };
}

class DestinationSender {
  private readonly deps: SenderDeps;
  private readonly destination: string;
  private readonly closed: () => boolean;
  private readonly deliveredRows: DeliveredRows;
  private readonly backoff: Backoff;
  private running = false;
  private again = false;
  private cancelSleep: (() => void) | undefined;
  /** The transaction being retried: sent again as it was (same txnId, same rows, same PDUs). */
  private inflight: { txnId: string; batch: PendingBatch; pdus: readonly Pdu[] } | undefined;
  private counter = 0;
  /**
   * Every row queued for the destination beyond the batch being sent, while
   * that is known (see the header); undefined when storage must be read.
   */
  private known: Handed[] | undefined;
  /** Counts wakes and hand-overs: a read that saw another one begin cannot tell whether it took those rows. */
  private epoch = 0;
  /** When the batch being sent was first tried, and why its last attempt failed. */
  private firstTry: number | undefined;
  private lastError: string | undefined;
  /** The highest row id put in a batch so far. */
  private lastTaken = 0;

  constructor(deps: SenderDeps, destination: string, closed: () => boolean, delivered: DeliveredRows) {
    this.deps = deps;
    this.destination = destination;
    this.closed = closed;
    this.deliveredRows = delivered;
    this.backoff = new Backoff(deps.backoff);
  }

  get state(): SenderState {
    if (this.cancelSleep) return 'backing-off';
    return this.running ? 'sending' : 'idle';
  }

  /** Something was queued that was not handed over: the next batch is read from storage. */
  wake(): void {
    this.epoch++;
    this.known = undefined;
    this.run();
  }

  handOff(entries: readonly Handed[]): void {
    this.epoch++;
    if (this.known) {
      // A read that began right after their commit may have taken them already.
      this.known.push(...entries.filter((e) => (e.row.id ?? 0) > this.lastTaken));
      if (this.known.length > MAX_HANDED) this.known = undefined;
    }
    this.run();
  }

  private run(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.loop().finally(() => {
      this.running = false;
      if (this.again && !this.closed()) {
        this.again = false;
        this.run();
      }
    });
  }

  peerUp(): void {
    this.backoff.reset();
    this.cancelSleep?.();
    this.run();
  }

  stop(): void {
    this.cancelSleep?.();
  }

  private async loop(): Promise<void> {
    while (!this.closed()) {
      this.again = false;
      const next = this.inflight ?? (await this.next());
      const { batch } = next;
      if (batch.pdus.length + batch.edus.length + batch.invites.length === 0) return;
      let delivered = false;
      this.firstTry ??= this.deps.clock.now();
      try {
        await this.deliver(batch, next.pdus);
        delivered = true;
      } catch (err) {
        this.lastError = String(err);
        this.deps.logger.debug('federation send failed', { to: this.destination, error: this.lastError });
      }
      if (delivered) {
        this.delivered();
        continue;
      }
      if (this.closed()) return;
      await this.sleep(this.backoff.fail());
    }
  }

  /** The oldest rows for the destination and the PDUs they name: from what was handed over, else in one read. */
  private async next(): Promise<{ batch: PendingBatch; pdus: readonly Pdu[] }> {
    const handed = this.known && this.fromHanded(this.known);
    if (handed) return handed;
    const epoch = this.epoch;
    const read = await this.deps.store.read(DELIVERY_READ_TABLES, async (tx) => {
      const batch = await pendingFor(
        tx,
        this.destination,
        this.deps.maxPdus,
        this.deps.maxEdus,
        this.deliveredRows.has,
      );
      return { batch, pdus: await loadPdus(tx, batch.pdus) };
    });
    // Nothing else is queued, and nothing was queued while reading: from now on, what is handed over is all.
    if (read.batch.complete && this.epoch === epoch) this.known = [];
    this.noteTaken([...read.batch.pdus, ...read.batch.edus, ...read.batch.invites]);
    return read;
  }

  private noteTaken(rows: readonly OutboxRow[]): void {
    for (const row of rows) this.lastTaken = Math.max(this.lastTaken, row.id ?? 0);
  }

  /** The first handed rows that fit one transaction, taken off `known`; undefined when one lacks its PDU. */
  private fromHanded(known: Handed[]): { batch: PendingBatch; pdus: readonly Pdu[] } | undefined {
    const batch: PendingBatch = { pdus: [], edus: [], invites: [] };
    const pdus: Pdu[] = [];
    let taken = 0;
    for (const { row, pdu } of known) {
      if (row.kind === 'pdu' && pdu && batch.pdus.length < this.deps.maxPdus) {
        batch.pdus.push(row);
        pdus.push(pdu);
      } else if (row.kind === 'invite' && batch.invites.length < this.deps.maxPdus) {
        batch.invites.push(row);
      } else if (row.kind === 'pdu' && !pdu) {
        this.known = undefined;
        return undefined;
      } else break;
      taken++;
    }
    if (taken === 0 && known.length > 0) {
      this.known = undefined;
      return undefined;
    }
    this.noteTaken(known.splice(0, taken).map((h) => h.row));
    return { batch, pdus };
  }

  private async sleep(ms: number): Promise<void> {
    const cancelled = new Promise<void>((resolve) => {
      this.cancelSleep = resolve;
    });
    await this.deps.clock.sleep(ms, cancelled);
    this.cancelSleep = undefined;
  }

  /** Invites first (each its own request), then one transaction; rows go once the destination took them. */
  private async deliver(batch: PendingBatch, pdus: readonly Pdu[]): Promise<void> {
    for (const row of batch.invites) {
      await sendInvite(this.deps, this.destination, row);
      await this.deps.store.write([OUTBOX], (tx) => removeRows(tx, [row]));
    }
    if (batch.pdus.length + batch.edus.length === 0) return;
    const txn = this.inflight ?? {
      txnId: this.newTxnId(),
      batch: { pdus: batch.pdus, edus: batch.edus, invites: [] },
      pdus,
    };
    this.inflight = txn;
    await sendTransaction(this.deps, this.destination, txn.txnId, txn.batch, txn.pdus);
    if (txn.batch.edus.length > 0)
      await this.deps.store.write([OUTBOX], (tx) => removeRows(tx, [...txn.batch.pdus, ...txn.batch.edus]));
    else this.deliveredRows.add(txn.batch.pdus.map((row) => row.id!));
    this.inflight = undefined;
  }

  /** Every delivery that needed retries is logged with how long it took and why (issue 13: no message over 1 s). */
  private delivered(): void {
    const failures = this.backoff.failureCount;
    if (failures > 0) {
      this.deps.logger.info('federation delivery needed retries', {
        to: this.destination,
        failures,
        ms: this.deps.clock.now() - (this.firstTry ?? 0),
        lastError: this.lastError,
      });
    }
    this.backoff.reset();
    this.firstTry = undefined;
    this.lastError = undefined;
  }

  private newTxnId(): string {
    this.counter += 1;
    return `${this.deps.clock.now()}.${this.counter}`;
  }
}
