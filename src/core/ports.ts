// Platform services the core needs, passed in by each composition root
// (extension background, Node CLI, tests). Nothing in src/core reaches for a
// global clock, timer or logger on its own.

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after ms, or early (without error) when `cancel` resolves. */
  sleep(ms: number, cancel?: Promise<void>): Promise<void>;
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

declare function setTimeout(fn: () => void, ms: number): unknown;
declare function clearTimeout(handle: unknown): void;

/** A Clock over the host's Date and timers (present in every platform we run on). */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, cancel) =>
    new Promise<void>((resolve) => {
      const handle = setTimeout(resolve, ms);
      cancel?.then(() => {
        clearTimeout(handle);
        resolve();
      });
    }),
};

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
