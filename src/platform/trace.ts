// Where a message's time goes, measured in the running extension: every
// storage transaction (with how many requests it made of IndexedDB) and every
// request crossing the worker's edges (client port, federation link), as
// spans on the wall clock, so that the spans of two browsers on one machine
// line up. Recorded only while a bench has switched the trace on
// (`p2pMatrix.trace.start()` in the worker, then `take()`): off, a span costs
// one branch.
import type { Key, Query, Row, Store, WriteTx } from '../core/storage.ts';

export interface Span {
  /** `r`/`w` and the first table for storage; `fed>`/`fed<`/`client` and the path for requests. */
  readonly name: string;
  /** Milliseconds since the epoch, sub-millisecond. */
  readonly start: number;
  readonly end: number;
  /**
   * The requests a storage transaction made of the store beneath, in order (reads the row cache answered are
   * not counted), each `kind table` (`.index` for a query or count on one, `[rows]` for a putAll): what a write asks.
   */
  readonly requests?: readonly string[];
  /** When the transaction's function was called (the transaction open): before it, opening it. */
  readonly opened?: number;
  /** When the transaction's function returned (its requests answered): the rest, to `end`, is the commit. */
  readonly returned?: number;
  /** When each of `requests` went out and was answered, and the hold's times: where a write's time went. */
  readonly timeline?: RequestTimeline;
}

/** On the wall clock, as `start`. */
export interface RequestTimeline {
  /** Each request's issue, in the order of `requests`. */
  readonly issued: readonly number[];
  /** Each request's answer (its promise settled); absent while it was not. */
  readonly answered: readonly (number | undefined)[];
  /** WriteTx.hold: when it was asked, when its work settled, and when the hold answered. */
  readonly hold?: HoldTimes;
}

/** Filled in as the hold goes (tracedStore). */
export interface HoldTimes {
  asked: number;
  settled?: number;
  answered?: number;
}

/** Spans kept at most, so that a trace left on cannot grow without bound. */
const MAX_SPANS = 100_000;

export const wallClock = () => performance.timeOrigin + performance.now();

export class Trace {
  #spans: Span[] | undefined;

  get on(): boolean {
    return this.#spans !== undefined;
  }

  start(): void {
    this.#spans = [];
  }

  /** The spans so far; the trace goes off. */
  take(): Span[] {
    const spans = this.#spans ?? [];
    this.#spans = undefined;
    return spans;
  }

  /** Runs fn, recording it as `name` while the trace is on. */
  async span<T>(name: string, fn: () => Promise<T>): Promise<T> {
    if (!this.#spans) return fn();
    const start = wallClock();
    try {
      return await fn();
    } finally {
      this.record({ name, start, end: wallClock() });
    }
  }

  record(span: Span): void {
    if (this.#spans && this.#spans.length < MAX_SPANS) this.#spans.push(span);
  }
}

/** `inner` with each transaction recorded in `trace` (wrap the store beneath the row cache). */
export function tracedStore(inner: Store, trace: Trace): Store {
  const run = async <T>(
    kind: 'r' | 'w',
    tables: readonly string[],
    open: (fn: (tx: WriteTx) => Promise<T>) => Promise<T>,
    fn: (tx: WriteTx) => Promise<T>,
  ): Promise<T> => {
    if (!trace.on) return open(fn);
    const start = wallClock();
    const requests: string[] = [];
    const issued: number[] = [];
    const answered: (number | undefined)[] = [];
    let hold: HoldTimes | undefined;
    /**
     * When `promise` settles, on the wall clock, into `set` (the promise itself is returned
     * untouched): when this thread ran its settling, which waits while the thread is busy,
     * not when the store answered. It handles a rejection too, so with the trace on one that
     * nobody awaits is not reported as unhandled.
     */
    const whenSettled = (promise: Promise<unknown>, set: (at: number) => void) => {
      const noted = () => set(wallClock());
      promise.then(noted, noted);
    };
    const n = <R extends Promise<unknown>>(what: string, table: string, call: () => R, query?: Query): R => {
      const i = requests.length;
      requests.push(`${what} ${table}${query?.index ? `.${query.index}` : ''}`);
      issued.push(wallClock());
      answered.push(undefined);
      const made = call();
      whenSettled(made, (at) => {
        answered[i] = at;
      });
      return made;
    };
    let opened: number | undefined;
    let returned: number | undefined;
    try {
      return await open(async (tx) => {
        opened = wallClock();
        const result = await fn({
          get: <R extends Row>(table: string, key: Key) => n('get', table, () => tx.get<R>(table, key)),
          query: <R extends Row>(table: string, query?: Query) =>
            n('query', table, () => tx.query<R>(table, query), query),
          count: (table: string, query?: Query) => n('count', table, () => tx.count(table, query), query),
          put: (table: string, row: Row) => n('put', table, () => tx.put(table, row)),
          putAll: (table: string, rows: readonly Row[]) =>
            n(`putAll[${rows.length}]`, table, () => tx.putAll(table, rows)),
          add: (table: string, row: Row) => n('add', table, () => tx.add(table, row)),
          delete: (table: string, key: Key) => n('delete', table, () => tx.delete(table, key)),
          deleteWhere: (table: string, query: Query) =>
            n('deleteWhere', table, () => tx.deleteWhere(table, query), query),
          // Not a request of the caller's (the reads that keep it open are the store's): not counted.
          // A write holds once (inbound/receive-pdus.ts): the last hold is the one kept.
          hold: <T>(work: Promise<T>) => {
            const noted: HoldTimes = { asked: wallClock() };
            hold = noted;
            whenSettled(work, (at) => {
              noted.settled = at;
            });
            const held = tx.hold(work);
            whenSettled(held, (at) => {
              noted.answered = at;
            });
            return held;
          },
        });
        returned = wallClock();
        return result;
      });
    } finally {
      trace.record({
        name: `${kind} ${tables[0] ?? ''}`,
        start,
        end: wallClock(),
        requests,
        ...(opened !== undefined && { opened }),
        ...(returned !== undefined && { returned }),
        timeline: { issued, answered, ...(hold && { hold }) },
      });
    }
  };
  const traced: Store = {
    read: (tables, fn) =>
      run('r', tables, (wrapped) => inner.read(tables, (tx) => wrapped(tx as WriteTx)), fn as never),
    write: (tables, fn) => run('w', tables, (wrapped) => inner.write(tables, wrapped), fn),
    close: () => inner.close(),
  };
  return traced;
}
