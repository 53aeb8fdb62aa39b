// Platform services the core needs, passed in by each composition root
// (extension background, Node CLI, tests). Nothing in src/core reaches for a
// global clock, timer, random source, key algorithm or logger on its own
// (src/platform/system-clock.ts is the Clock over the host's timers,
// system-random.ts the RandomBytes over its CSPRNG, pbkdf2.ts the PBKDF2 below;
// Ed25519's port is the protocol library's, protocol/ed25519.ts). What is left to host.d.ts are pure standard
// functions with one behaviour everywhere (UTF-8, structured clone): nothing
// to choose, nothing secret, nothing a test would swap.

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after ms, or early (without error) when `cancel` resolves. */
  sleep(ms: number, cancel?: Promise<void>): Promise<void>;
}

/** `n` cryptographically random bytes (src/platform/system-random.ts over the host's CSPRNG). */
export type RandomBytes = (n: number) => Uint8Array;

/**
 * PBKDF2-HMAC-SHA256 (RFC 8018), 32 bytes out: password hashing
 * (accounts/password-hash.ts). A port because the work is the host's
 * (WebCrypto, off the JS thread) and a test may pass a cheap one.
 */
export type Pbkdf2Sha256 = (
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
) => Promise<Uint8Array>;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
