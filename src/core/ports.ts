// Platform services the core needs, passed in by each composition root
// (extension background, Node CLI, tests). Nothing in src/core reaches for a
// global clock, timer, random source or logger on its own
// (src/platform/system-clock.ts is the Clock over the host's timers,
// system-random.ts the RandomBytes over its CSPRNG); the few host APIs it does use are
// declared in host.d.ts.

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after ms, or early (without error) when `cancel` resolves. */
  sleep(ms: number, cancel?: Promise<void>): Promise<void>;
}

/** `n` cryptographically random bytes (src/platform/system-random.ts over the host's CSPRNG). */
export type RandomBytes = (n: number) => Uint8Array;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
