// Typing notifications (spec §11.4 "Typing Notifications") live in memory:
// they expire within seconds, so a restart losing them is harmless. Every
// change (start, stop, expiry) takes the next serial, which sync tokens carry
// so an incremental sync sends m.typing only for rooms that changed.
import type { Clock } from '../ports.ts';

/** Spec: clients send a timeout; Synapse-like bounds keep a client from pinning itself as typing forever. */
export const DEFAULT_TYPING_TIMEOUT_MS = 30_000;
export const MAX_TYPING_TIMEOUT_MS = 120_000;

interface Timer {
  readonly at: number;
  readonly cancel: () => void;
}

export class TypingTracker {
  private readonly clock: Clock;
  private readonly onChange: (roomId: string) => void;
  /** roomId → userId → expiry time (ms since epoch). */
  private readonly typing = new Map<string, Map<string, number>>();
  /** roomId → serial of the room's last change. */
  private readonly changed = new Map<string, number>();
  /**
   * Serials start at the clock's time at construction, so serials of an
   * earlier process (which made fewer changes than milliseconds passed) fall
   * below firstSerial and are recognised as unknown.
   */
  private readonly firstSerial: number;
  private current: number;
  private timer: Timer | undefined;
  private closed = false;

  /** `onChange` runs after each change (wake the room's syncs there). */
  constructor(clock: Clock, onChange: (roomId: string) => void) {
    this.clock = clock;
    this.onChange = onChange;
    this.firstSerial = Math.floor(clock.now());
    this.current = this.firstSerial;
  }

  /** The serial of the latest change (what a sync token records). */
  get serial(): number {
    return this.current;
  }

  /** Marks userId as typing in roomId for timeoutMs (bounded), or as no longer typing. */
  set(roomId: string, userId: string, typing: boolean, timeoutMs = DEFAULT_TYPING_TIMEOUT_MS): void {
    const users = this.typing.get(roomId) ?? new Map<string, number>();
    const wasTyping = users.has(userId);
    if (typing) {
      users.set(userId, this.clock.now() + Math.min(Math.max(timeoutMs, 0), MAX_TYPING_TIMEOUT_MS));
      this.typing.set(roomId, users);
      this.schedule();
    } else {
      users.delete(userId);
      if (users.size === 0) this.typing.delete(roomId);
    }
    // Refreshing the timeout of someone already typing changes nothing a client sees.
    if (typing !== wasTyping) this.touch(roomId);
  }

  /** Users typing in roomId now, in the order they started. */
  typers(roomId: string): string[] {
    return [...(this.typing.get(roomId)?.keys() ?? [])];
  }

  /**
   * The rooms among roomIds whose typing changed after serial `since`; when
   * since is not a serial of this tracker (a restart, a forged token), every
   * one of roomIds, so clients drop what they showed before.
   */
  changedSince(since: number, roomIds: Iterable<string>): string[] {
    const known = since >= this.firstSerial && since <= this.current;
    return [...roomIds].filter((roomId) => !known || (this.changed.get(roomId) ?? 0) > since);
  }

  /** Stops the expiry timer (composition roots call this on shutdown). */
  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private touch(roomId: string): void {
    this.current += 1;
    this.changed.set(roomId, this.current);
    this.onChange(roomId);
  }

  /** Removes expired typers and tells about the rooms that changed. */
  private expire(): void {
    const now = this.clock.now();
    for (const [roomId, users] of [...this.typing]) {
      const before = users.size;
      for (const [userId, expiry] of [...users]) if (expiry <= now) users.delete(userId);
      if (users.size === 0) this.typing.delete(roomId);
      if (users.size !== before) this.touch(roomId);
    }
  }

  /** Keeps one timer, due at the earliest expiry. */
  private schedule(): void {
    if (this.closed) return;
    let next = Number.POSITIVE_INFINITY;
    for (const users of this.typing.values())
      for (const expiry of users.values()) next = Math.min(next, expiry);
    if (next === Number.POSITIVE_INFINITY || (this.timer && this.timer.at <= next)) return;
    this.timer?.cancel();
    let cancel: () => void = () => {};
    const cancelled = new Promise<void>((resolve) => {
      cancel = resolve;
    });
    const timer: Timer = { at: next, cancel };
    this.timer = timer;
    void this.clock.sleep(Math.max(0, next - this.clock.now()), cancelled).then(() => {
      if (this.timer !== timer) return;
      this.timer = undefined;
      this.expire();
      this.schedule();
    });
  }
}
