// A Clock whose time moves only when a test says so; sleeps resolve as time passes them.
import type { Clock } from '../../../src/core/ports.ts';

interface Sleeper {
  readonly at: number;
  readonly resolve: () => void;
}

export class FakeClock implements Clock {
  private time: number;
  private sleepers: Sleeper[] = [];

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number, cancel?: Promise<void>): Promise<void> {
    return new Promise<void>((resolve) => {
      const sleeper: Sleeper = { at: this.time + ms, resolve };
      this.sleepers.push(sleeper);
      cancel?.then(() => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        resolve();
      });
    });
  }

  /** Moves time forward, waking every sleep that is due, then lets their continuations run. */
  async advance(ms: number): Promise<void> {
    this.time += ms;
    const due = this.sleepers.filter((s) => s.at <= this.time);
    this.sleepers = this.sleepers.filter((s) => s.at > this.time);
    for (const s of due) s.resolve();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Pending sleeps (e.g. to see that a long-poll is waiting). */
  get sleeping(): number {
    return this.sleepers.length;
  }
}
