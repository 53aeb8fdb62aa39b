// Wakes long-polling /sync requests after a change has committed. Writers call
// notify() only after their transaction's promise resolved (never inside it),
// so a woken sync always finds the change in storage. Lives in memory: if the
// process dies, waiters die with it and clients simply sync again.

export interface ChangeNotice {
  /** Users whose sync may have something new (e.g. account data, invites, to-device). */
  readonly users?: readonly string[];
  /** Rooms with something new; every waiter whose user is in the room wakes. */
  readonly rooms?: readonly string[];
  /** Wake every waiter (e.g. presence or profile changes with unclear audiences). */
  readonly everyone?: boolean;
}

interface Waiter {
  readonly userId: string;
  readonly rooms: ReadonlySet<string>;
  readonly wake: () => void;
}

export class Notifier {
  private readonly waiters = new Set<Waiter>();
  private count = 0;

  /**
   * How many notices were given so far. A reader that noted it before reading
   * storage knows, by comparing later, whether anything committed since
   * (every change notifies after its commit), without reading storage again.
   */
  get notices(): number {
    return this.count;
  }

  /**
   * Resolves when a notice concerns userId or one of `rooms`, or when `until`
   * resolves (timeout or client gone), whichever comes first.
   */
  wait(userId: string, rooms: ReadonlySet<string>, until: Promise<void>): Promise<void> {
    return new Promise<void>((resolve) => {
      const waiter: Waiter = {
        userId,
        rooms,
        wake: () => {
          this.waiters.delete(waiter);
          resolve();
        },
      };
      this.waiters.add(waiter);
      until.then(waiter.wake, waiter.wake);
    });
  }

  notify(notice: ChangeNotice): void {
    this.count++;
    const users = new Set(notice.users ?? []);
    for (const waiter of [...this.waiters]) {
      if (notice.everyone || users.has(waiter.userId) || notice.rooms?.some((r) => waiter.rooms.has(r))) {
        waiter.wake();
      }
    }
  }

  get waiting(): number {
    return this.waiters.size;
  }
}
