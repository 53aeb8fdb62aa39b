// One sender per destination drains its part of the persisted outbox
// (outbox.ts): invites go one by one with PUT /v2/invite, PDUs and EDUs in
// transactions (PUT /v1/send/{txnId}) of at most 50 PDUs and 100 EDUs
// (spec: "Transactions"). A failed transaction is retried as it was, with
// the same txnId, so the receiver can tell a repeat; failures back off
// (backoff.ts) until the transport reports the peer up again.
import type { Clock, Logger } from '../ports.ts';
import type { Pdu } from '../protocol.ts';
import type { Store } from '../storage/port.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import { DELIVERY_READ_TABLES, loadPdus, sendInvite, sendTransaction } from './deliveries.ts';
import type { FederationClient } from './federation-client.ts';
import { type PendingBatch, pendingDestinations, pendingFor, removeRows } from './outbox.ts';
import { OUTBOX } from './tables.ts';

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
  /** The peer is reachable again: forget its backoff and send now. */
  peerUp(destination: string): void;
  /** Starts a sender for every destination with queued rows (after a restart). */
  resume(): Promise<void>;
  /** What the destination's sender does now (tests and benches wait on it). */
  state(destination: string): SenderState;
  close(): void;
}

export function createSenders(deps: SenderDeps): Senders {
  const senders = new Map<string, DestinationSender>();
  let closed = false;
  const get = (destination: string) => {
    let sender = senders.get(destination);
    if (!sender) {
      sender = new DestinationSender(deps, destination, () => closed);
      senders.set(destination, sender);
    }
    return sender;
  };
  return {
    wake: (destination) => {
      if (!closed && destination !== deps.serverName) get(destination).wake();
    },
    peerUp: (destination) => {
      if (!closed && destination !== deps.serverName) get(destination).peerUp();
    },
    resume: async () => {
      const destinations = await deps.store.read([OUTBOX], pendingDestinations);
      for (const destination of destinations) if (!closed) get(destination).wake();
    },
    state: (destination) => senders.get(destination)?.state ?? 'idle',
    close: () => {
      closed = true;
      for (const sender of senders.values()) sender.stop();
    },
  };
}

class DestinationSender {
  private readonly deps: SenderDeps;
  private readonly destination: string;
  private readonly closed: () => boolean;
  private readonly backoff: Backoff;
  private running = false;
  private again = false;
  private cancelSleep: (() => void) | undefined;
  /** The transaction being retried: sent again as it was (same txnId, same rows, same PDUs). */
  private inflight: { txnId: string; batch: PendingBatch; pdus: readonly Pdu[] } | undefined;
  private counter = 0;

  constructor(deps: SenderDeps, destination: string, closed: () => boolean) {
    this.deps = deps;
    this.destination = destination;
    this.closed = closed;
    this.backoff = new Backoff(deps.backoff);
  }

  get state(): SenderState {
    if (this.cancelSleep) return 'backing-off';
    return this.running ? 'sending' : 'idle';
  }

  wake(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.loop().finally(() => {
      this.running = false;
      if (this.again && !this.closed()) {
        this.again = false;
        this.wake();
      }
    });
  }

  peerUp(): void {
    this.backoff.reset();
    this.cancelSleep?.();
    this.wake();
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
      try {
        await this.deliver(batch, next.pdus);
        delivered = true;
      } catch (err) {
        this.deps.logger.debug('federation send failed', { to: this.destination, error: String(err) });
      }
      if (delivered) {
        this.backoff.reset();
        continue;
      }
      if (this.closed()) return;
      await this.sleep(this.backoff.fail());
    }
  }

  /** The oldest rows for the destination and the PDUs they name, in one read. */
  private next(): Promise<{ batch: PendingBatch; pdus: readonly Pdu[] }> {
    return this.deps.store.read(DELIVERY_READ_TABLES, async (tx) => {
      const batch = await pendingFor(tx, this.destination, this.deps.maxPdus, this.deps.maxEdus);
      return { batch, pdus: await loadPdus(tx, batch.pdus) };
    });
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
    await this.deps.store.write([OUTBOX], (tx) => removeRows(tx, [...txn.batch.pdus, ...txn.batch.edus]));
    this.inflight = undefined;
  }

  private newTxnId(): string {
    this.counter += 1;
    return `${this.deps.clock.now()}.${this.counter}`;
  }
}
