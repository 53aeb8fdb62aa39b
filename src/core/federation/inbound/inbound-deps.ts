// What the receiving side of room federation works with.
import type { Logger } from '../../ports.ts';
import type { Ed25519 } from '../../protocol/ed25519.ts';
import type { RoomFederationPort } from '../../rooms/federation-api.ts';
import type { Store } from '../../storage/port.ts';
import type { Notifier } from '../../events/notifier.ts';
import type { FederationClient } from '../federation-client.ts';
import type { KeyedQueue } from '../../keyed-queue.ts';
import type { StateCache } from '../state-cache.ts';

export interface InboundLimits {
  /** get_missing_events asks for this many events per request. */
  readonly missingEventsPerRequest: number;
  /**
   * Events pulled with get_missing_events while filling one gap (a reconnect
   * after a long absence); what lies beyond is taken as state (state_ids)
   * instead, so a peer serving an endless chain cannot keep us busy.
   */
  readonly maxGapEvents: number;
  /** State and auth chain events fetched one by one for one state_ids answer. */
  readonly maxStateFetch: number;
  /**
   * How long a write placed while its events' signatures are checked waits
   * for them once placed (transaction.ts): it holds its tables meanwhile (in
   * SQLite, the whole store), so checks that are slow (a queue of other
   * checks, a Worker that stalled) abort it, and the events are placed once
   * checked, holding nothing while they wait. Checks are usually done about
   * when the placing is (0.1-0.2 ms left at the median in the extension's
   * ingest bench).
   */
  readonly checksDeadlineMs: number;
}

export const defaultInboundLimits: InboundLimits = {
  missingEventsPerRequest: 100,
  maxGapEvents: 2_000,
  maxStateFetch: 1_000,
  checksDeadlineMs: 50,
};

export interface InboundDeps {
  readonly store: Store;
  readonly logger: Logger;
  readonly notifier: Notifier;
  readonly client: FederationClient;
  readonly rooms: Pick<RoomFederationPort, 'exclusive'>;
  /** Incoming events of one room are handled one batch at a time. */
  readonly queue: KeyedQueue;
  readonly limits: InboundLimits;
  /** States of recent state groups (the state before most events of a batch is the same). */
  readonly stateCache: StateCache;
  /** Checks the signatures of every received event (the platform's, ports.ts). */
  readonly ed25519: Ed25519;
  /**
   * Checks the signatures of a received transaction's events, which run while
   * this thread places them (transaction.ts): the extension's sends them all
   * to its verifier Worker (where `ed25519` shares batches with this thread).
   * `ed25519` when not given.
   */
  readonly ed25519Aside?: Ed25519;
}
