// Client-Server rate limits (spec: client-server API "Rate limiting": a
// limited endpoint answers 429 M_LIMIT_EXCEEDED with retry_after_ms, and
// since v1.10 a Retry-After header). A route names its class (Route.rateLimit);
// the router takes one token from the class's bucket of the request's key:
// the caller's user id when it has one, else the client as the adapter knows
// it (HsRequest.client: the remote address on the Node peer, the page's
// origin in the extension); requests without a client (in-process callers,
// the host's own code) are not limited. So a user is limited on every page and address,
// and a page or address for every account it tries (guessing passwords,
// creating accounts), while one user's burst never slows another. Token buckets as Synapse's rc_* settings, with rates chosen
// for one person's homeserver: well above what a person types or clicks,
// well below what a script guesses (PBKDF2 makes every login cost ~50 ms of
// CPU: unthrottled, guesses slowed everyone else's sends).
import { limitExceeded } from '../errors.ts';
import type { Clock } from '../ports.ts';

export type RateLimitClass = 'login' | 'register' | 'message' | 'membership' | 'room_create' | 'media_upload';

export interface Bucket {
  /** Tokens added per second. */
  readonly perSecond: number;
  /** Tokens held at most: requests that may come at once after a quiet time. */
  readonly burst: number;
}

export type RateLimits = Readonly<Record<RateLimitClass, Bucket>>;

export const DEFAULT_RATE_LIMITS: RateLimits = {
  // Each attempt, failed or not: 10 at once, then one every 2 s.
  login: { perSecond: 0.5, burst: 10 },
  // Account creation (the /register calls of user-interactive auth count each).
  register: { perSecond: 0.5, burst: 20 },
  // Events sent: messages, state, redactions.
  message: { perSecond: 10, burst: 100 },
  // Joins, leaves, invites, knocks, kicks, bans.
  membership: { perSecond: 2, burst: 50 },
  room_create: { perSecond: 0.5, burst: 20 },
  media_upload: { perSecond: 2, burst: 30 },
};

/** Buckets kept at most; full ones are forgotten first (a full bucket is the same as none). */
const MAX_BUCKETS = 10_000;

export class RateLimiter {
  readonly #limits: RateLimits;
  readonly #clock: Clock;
  /** `class key` → tokens left at `at`. */
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(limits: RateLimits, clock: Clock) {
    this.#limits = limits;
    this.#clock = clock;
  }

  /** Takes a token for each key, or throws 429 M_LIMIT_EXCEEDED (taking none) when one of them has none left. */
  take(cls: RateLimitClass, keys: readonly string[]): void {
    const bucket = this.#limits[cls];
    const now = this.#clock.now();
    const states = keys.map((key) => {
      const id = `${cls} ${key}`;
      const held = this.#buckets.get(id);
      const tokens = held
        ? Math.min(bucket.burst, held.tokens + ((now - held.at) / 1000) * bucket.perSecond)
        : bucket.burst;
      return { id, tokens };
    });
    const short = states.find((s) => s.tokens < 1);
    if (short) {
      const waitMs = Math.ceil(((1 - short.tokens) / bucket.perSecond) * 1000);
      throw limitExceeded(waitMs, `Too many requests (${cls}); retry in ${waitMs} ms`);
    }
    for (const s of states) {
      this.#buckets.delete(s.id);
      this.#buckets.set(s.id, { tokens: s.tokens - 1, at: now });
    }
    if (this.#buckets.size > MAX_BUCKETS) this.#prune(now);
  }

  /** Forgets full buckets, then the least recently used ones, down to MAX_BUCKETS / 2. */
  #prune(now: number): void {
    for (const [id, held] of this.#buckets) {
      const cls = id.slice(0, id.indexOf(' ')) as RateLimitClass;
      const bucket = this.#limits[cls];
      if (held.tokens + ((now - held.at) / 1000) * bucket.perSecond >= bucket.burst) this.#buckets.delete(id);
    }
    for (const id of this.#buckets.keys()) {
      if (this.#buckets.size <= MAX_BUCKETS / 2) break;
      this.#buckets.delete(id);
    }
  }
}
