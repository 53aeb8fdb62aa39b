// Retry delays for an unreachable destination. Capped low on purpose: peers
// here come and go (laptops, browser tabs), and Dendrite's 8-minute backoff
// (its issue #1227) left rooms silent long after a peer was back. Besides,
// the delay is cut short and reset the moment the transport reports the peer
// up again (Backoff.reset and sender.ts).
//
// The first retry comes soon: most failures between two connected peers are
// one request cut short while their connection changes (two browsers that
// just met move from the relayed connection to a direct one, and the peer
// stays up throughout, so no "peer up" cuts the wait short). Starting at one
// second, two or three such failures in a row held messages back 3 to 7 s
// (issue 13); from 100 ms they cost at most 700 ms, and a peer really gone
// is tried four more times in its first three seconds, then as before.

export interface BackoffOptions {
  /** First retry delay. */
  readonly minMs: number;
  /** No delay is longer than this. */
  readonly maxMs: number;
}

export const defaultBackoff: BackoffOptions = { minMs: 100, maxMs: 60_000 };

export class Backoff {
  private readonly options: BackoffOptions;
  private failures = 0;

  constructor(options: BackoffOptions = defaultBackoff) {
    this.options = options;
  }

  /** Records a failure and returns how long to wait before the next attempt (doubling, capped). */
  fail(): number {
    this.failures += 1;
    const exponent = Math.min(this.failures - 1, 30);
    return Math.min(this.options.maxMs, this.options.minMs * 2 ** exponent);
  }

  reset(): void {
    this.failures = 0;
  }

  get failureCount(): number {
    return this.failures;
  }
}
