// One action of a form or a button: while it runs the component is busy, and
// when it fails its error is shown in words (error-words.ts).
import { useState } from 'preact/hooks';
import { describeError } from './error-words.ts';

export interface Action {
  readonly busy: boolean;
  readonly error: string | null;
  /** Shows a message of the component's own (a check that failed before anything ran). */
  readonly setError: (message: string | null) => void;
  /** Clears the error, runs `work` and calls `done` with its result, or shows its error. */
  run<T>(work: Promise<T>, done?: (value: T) => void): void;
}

/** `initiallyBusy` for a component that starts its action as soon as it shows. */
export function useAction(initiallyBusy = false): Action {
  const [busy, setBusy] = useState(initiallyBusy);
  const [error, setError] = useState<string | null>(null);
  const run = <T>(work: Promise<T>, done?: (value: T) => void) => {
    setError(null);
    setBusy(true);
    work.then(
      (value) => {
        setBusy(false);
        done?.(value);
      },
      (err: unknown) => {
        setBusy(false);
        setError(describeError(err));
      },
    );
  };
  return { busy, error, setError, run };
}
