// Runs async work one at a time per key (a room). Rooms orders local sends
// with it (events are built on the room's current extremities, so two
// concurrent sends would build on the same parents); federation orders the
// incoming events of a room (so two transactions do not fetch the same missing
// events twice). In memory only: it orders work, it holds no data.

export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs fn after every earlier fn for the same key has settled. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.tails.set(key, tail);
    try {
      await previous;
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
