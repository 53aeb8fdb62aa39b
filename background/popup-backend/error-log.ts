// The last thing that went wrong in the background, in words, for the
// popup's status line. Kept in storage.session: it survives the worker being
// stopped and started again, and is forgotten when the browser closes.
import type { KeyValueArea } from '../worker/key-value-area.ts';

const STORAGE_KEY = 'lastError';

export interface LastError {
  readonly message: string;
  readonly at: number;
}

export interface ErrorLog {
  last(): Promise<LastError | null>;
  record(message: string): Promise<void>;
}

export function createErrorLog(area: KeyValueArea, now: () => number = Date.now): ErrorLog {
  return {
    async last() {
      const value = (await area.get(STORAGE_KEY)) as Partial<LastError> | undefined;
      return typeof value?.message === 'string' && typeof value.at === 'number'
        ? { message: value.message, at: value.at }
        : null;
    },
    record: (message) => area.set(STORAGE_KEY, { message, at: now() }),
  };
}
