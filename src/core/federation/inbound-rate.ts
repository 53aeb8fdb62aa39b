// A per-origin rate limit on incoming federation requests, shaped after
// Synapse's rc_federation (its FederationRateLimiter): requests of one origin
// are counted over a sliding window; past `sleepLimit` in the window each
// waits `sleepDelayMs` before it is served, past `rejectLimit` it is refused
// (429 M_LIMIT_EXCEEDED), and at most `concurrent` are served at once, the
// others waiting their turn in order. The in-flight caps of the gate
// (inbound.ts) still bound how many may wait.
//
// One change for a peer-to-peer network, where an honest peer catching up
// sends transactions as fast as we answer them: only a request that arrives
// while another of the same origin is still waiting or being served counts.
// The spec has a sender wait for each transaction's answer before the next
// (server-server API "Transactions"), so a peer that does so is never slowed
// whatever its rate, and can never take more than one of our turns at a time;
// a peer that keeps many requests open at once (a flood) is.
import type { Clock } from '../ports.ts';

export interface FederationRateLimits {
  /** The sliding window requests are counted over. */
  readonly windowMs: number;
  /** Overlapping requests in the window before each next one is delayed. */
  readonly sleepLimit: number;
  /** How long a request over sleepLimit waits before it is served. */
  readonly sleepDelayMs: number;
  /** Overlapping requests in the window before each next one is refused. */
  readonly rejectLimit: number;
  /** Requests of one origin served at once; more wait for a turn. */
  readonly concurrent: number;
}

/**
 * Synapse's defaults (window 1 s, sleep past 10, delay 500 ms, reject past
 * 50, 3 at once), which only overlapping requests count against (see above):
 * an honest peer overlaps a few reads with its one transaction during a join
 * or a backfill, far below 10 a second.
 */
export const defaultFederationRateLimits: FederationRateLimits = {
  windowMs: 1000,
  sleepLimit: 10,
  sleepDelayMs: 500,
  rejectLimit: 50,
  concurrent: 3,
};

/** Origins remembered at most (see #prune). */
const MAX_ORIGINS = 1024;

interface OriginState {
  /** Arrival times of the counted requests still in the window, oldest first. */
  readonly counted: number[];
  /** Requests admitted and not yet released: delayed, waiting for a turn or served. */
  held: number;
  /** Requests being served. */
  active: number;
  /** Requests waiting for a turn, in arrival order. */
  readonly turns: (() => void)[];
}

/** What `enter` answers: the release of the turn taken, or the time after which a refused request may be sent again. */
export type Entry = { readonly release: () => void } | { readonly retryAfterMs: number };

export class FederationRateLimiter {
  readonly #limits: FederationRateLimits;
  readonly #clock: Clock;
  readonly #origins = new Map<string, OriginState>();

  constructor(limits: FederationRateLimits, clock: Clock) {
    this.#limits = limits;
    this.#clock = clock;
  }

  /**
   * Waits for the request's turn (after its delay when it is over the sleep
   * limit); `retryAfterMs` when it is over the reject limit. The release must
   * be called once the request is answered.
   */
  async enter(origin: string): Promise<Entry> {
    const { windowMs, sleepLimit, sleepDelayMs, rejectLimit, concurrent } = this.#limits;
    const now = this.#clock.now();
    const state = this.#state(origin, now);
    while (state.counted.length > 0 && state.counted[0]! <= now - windowMs) state.counted.shift();
    let delay = 0;
    if (state.held > 0) {
      if (state.counted.length >= rejectLimit)
        return { retryAfterMs: Math.max(1, state.counted[0]! + windowMs - now) };
      if (state.counted.length >= sleepLimit) delay = sleepDelayMs;
      state.counted.push(now);
    }
    state.held++;
    if (delay > 0) await this.#clock.sleep(delay);
    if (state.active >= concurrent) await new Promise<void>((resolve) => state.turns.push(resolve));
    else state.active++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      state.held--;
      // The turn passes to the next in line, or is given back.
      const next = state.turns.shift();
      if (next) next();
      else state.active--;
    };
    return { release };
  }

  /** Origins remembered: with requests held, or counted ones maybe still in their window. */
  get origins(): number {
    return this.#origins.size;
  }

  #state(origin: string, now: number): OriginState {
    let state = this.#origins.get(origin);
    if (!state) {
      if (this.#origins.size >= MAX_ORIGINS) this.#prune(now);
      state = { counted: [], held: 0, active: 0, turns: [] };
      this.#origins.set(origin, state);
    }
    return state;
  }

  /**
   * Forgets the origins with nothing held, those whose window is over first:
   * held requests are bounded by the gate's caps, and an origin forgotten
   * with counted requests in its window only starts its count again.
   */
  #prune(now: number): void {
    const idle = [...this.#origins].filter(([, s]) => s.held === 0);
    for (const [origin, s] of idle)
      if ((s.counted.at(-1) ?? -Infinity) <= now - this.#limits.windowMs) this.#origins.delete(origin);
    for (const [origin] of idle) {
      if (this.#origins.size < MAX_ORIGINS / 2) break;
      this.#origins.delete(origin);
    }
  }
}
