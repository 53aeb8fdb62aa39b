// One local writer per room at a time: events are built on the room's
// current extremities and state, so two concurrent sends would otherwise
// build on the same parents. In memory only: it orders work, it holds no data
// (the write transaction re-checks the extremities anyway).

export class RoomLocks {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs fn after every earlier fn for the same room has settled. */
  async run<T>(roomId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(roomId) ?? Promise.resolve();
    let release!: () => void;
    const tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.tails.set(roomId, tail);
    try {
      await previous;
      return await fn();
    } finally {
      release();
      if (this.tails.get(roomId) === tail) this.tails.delete(roomId);
    }
  }
}
