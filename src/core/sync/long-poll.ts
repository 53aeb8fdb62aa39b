// The /sync long-poll (spec §11.3: "timeout: the maximum time to wait ...
// before returning"). An incremental sync with nothing new waits on the
// Notifier until a change concerns the user, the timeout passes or the client
// goes away; it never returns early without cause, which would make clients
// spin.
import type { Clock } from '../ports.ts';
import type { Notifier } from '../events/notifier.ts';

export interface PollOutcome<T> {
  readonly result: T;
  /** Nothing for the client: keep waiting. */
  readonly empty: boolean;
  /** Rooms whose changes concern the user. */
  readonly rooms: ReadonlySet<string>;
}

export interface LongPollArgs<T> {
  readonly clock: Clock;
  readonly notifier: Notifier;
  readonly userId: string;
  readonly timeoutMs: number;
  /** Resolves when the client has gone away. */
  readonly closed?: Promise<void>;
  /** Computes the response from storage as it is now. */
  readonly compute: () => Promise<PollOutcome<T>>;
  /**
   * Whether anything changed after `outcome` was computed. Called once the
   * waiter is registered, it closes the gap between compute and wait: a change
   * committed in between has notified before anyone listened.
   */
  readonly changedSince: (outcome: PollOutcome<T>) => Promise<boolean>;
}

/** Computes until the outcome is not empty, or returns the last (empty) one when time is up. */
export async function longPoll<T>(args: LongPollArgs<T>): Promise<T> {
  const { clock, notifier } = args;
  const deadline = clock.now() + args.timeoutMs;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let stopped = false;
  const stop = Promise.race([clock.sleep(args.timeoutMs, finished), args.closed ?? finished]).then(() => {
    stopped = true;
  });
  try {
    let outcome = await args.compute();
    while (outcome.empty && !stopped && clock.now() < deadline) {
      let wake: () => void = () => {};
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
      });
      const waiting = notifier.wait(args.userId, outcome.rooms, Promise.race([stop, woken]));
      if (await args.changedSince(outcome)) wake();
      await waiting;
      if (stopped) break;
      outcome = await args.compute();
    }
    return outcome.result;
  } finally {
    finish();
  }
}
