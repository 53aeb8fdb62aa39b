// What the last write transactions committed, in commit order, kept in
// memory beside the store: which tables each touched, which stream positions
// it took (storage/stream.ts) and, for small commits, the rows it left in the
// tables the log is asked to keep. A long-polling /sync that computed its
// (empty) answer from storage at position P and is woken by a commit answers
// from here when every commit since its read is one it can read whole
// (sync/sync-view.ts): no storage request at all.
//
// Only what has committed is recorded: an entry is added once the store's
// write promise resolved. Writes that take stream positions are serialized
// by the store (they all write the counter row), so entries come in the order
// their positions were taken, and each positioned entry says where its run
// began (the counter it read, else the position the entry before it ended
// at), which lets a reader check that the entries it holds cover every
// position after its own. A write whose function threw was aborted and
// leaves nothing; one whose commit failed may or may not have committed: it
// leaves an entry marked unknown, and the log forgets the latest rows it
// touched. A later commit that read the counter where the unknown one did
// shows it did not commit (it wrote the counter in the same transaction).
//
// Bounded: ENTRIES entries, ROWS_PER_COMMIT rows each (a bigger commit is
// recorded without its rows), ROWS rows in all, LATEST rows per latest-row
// table and LATEST groups' newest rows.

import { BoundedCache } from '../protocol/bounded-cache.ts';
import { copyOf } from './copy-row.ts';
import { keyAtPath, keyId } from './key-path.ts';
import type { Key, Row, Store, WriteTx } from './port.ts';
import { STREAM_COUNTER, STREAM_TABLE } from './stream.ts';

/** Entries kept (a woken sync needs the few since its last read). */
const ENTRIES = 32;
/**
 * Rows of a kept table recorded per commit; a commit with more is recorded
 * without them. A received transaction places up to 50 events (spec: "A
 * transaction can contain up to 50 PDUs"), with the events it fetched.
 */
const ROWS_PER_COMMIT = 64;
/**
 * Rows in all entries: the oldest entries' rows go first (they are then
 * recorded without them). Two received transactions' worth: a sync woken by
 * one still finds it whole when the next has committed. An event is at most
 * 64 KiB: 8 MiB at worst (only with events of that size), about 100 KiB for
 * messages of a conversation (under 1 KiB each).
 */
const ROWS = 128;

export interface CommitEntry {
  /** 1 for the first commit recorded, then one more per commit. */
  readonly serial: number;
  /** Tables the commit wrote (put, delete or deleteWhere). */
  readonly tables: ReadonlySet<string>;
  /**
   * Stream positions taken: (from, to]; from is the counter the write read,
   * undefined when not known. For an `unknown` entry, the positions it tried
   * to take, which may not exist.
   */
  readonly stream?: { readonly from: number | undefined; readonly to: number };
  /** The last row written per key of each kept table, or undefined when the commit wrote too many. */
  readonly rows: ReadonlyMap<string, ReadonlyMap<string, Row>> | undefined;
  /** The write failed: it may or may not have committed. */
  readonly unknown: boolean;
  /**
   * For each group whose newest row this commit replaced (CommitLogOptions.newest):
   * what that row said before it, undefined when not known.
   */
  readonly newestBefore?: ReadonlyMap<string, number | undefined>;
}

/** What a row says for CommitLogOptions.newest: its group, its place in it, the value kept. */
interface NewestOf {
  readonly group: string;
  /** The row's stream position (storage/stream.ts). */
  readonly order: number;
  readonly value: number;
}

export interface CommitLogOptions {
  /** Tables whose rows entries carry, by primary key path. */
  readonly kept: Readonly<Record<string, string | readonly string[]>>;
  /**
   * Tables whose latest committed row per key the log keeps (any commit's,
   * however big), by key path: the rows a write put, and those it read and
   * left (a write reads what the last one to touch the row committed), so
   * that after a restart a room known only from reads is known.
   */
  readonly latest: Readonly<Record<string, string | readonly string[]>>;
  /**
   * A kept table whose newest row per group (by stream position) the log
   * follows, with what `of` reads of it (a room's last event and its state
   * group): each entry says what it was before the commit.
   */
  readonly newest?: { readonly table: string; readonly of: (row: Row) => NewestOf | undefined };
}

/** Rows per latest-row table. */
const LATEST = 2048;

export class CommitLog {
  readonly #entries: CommitEntry[] = [];
  readonly #latest: Map<string, BoundedCache<string, Row>>;
  /** The newest row per group, when known (CommitLogOptions.newest). */
  readonly #newest = new BoundedCache<string, { order: number; value: number }>(LATEST);
  readonly #options: CommitLogOptions;
  #serial = 0;
  /** Rows in all entries. */
  #rows = 0;
  /** The stream position the last positioned commit ended at (undefined before one, or after an unknown one). */
  #streamEnd: number | undefined;

  constructor(options: CommitLogOptions) {
    this.#options = options;
    this.#latest = new Map(
      Object.keys(options.latest).map((t) => [t, new BoundedCache<string, Row>(LATEST)]),
    );
  }

  /** The serial of the last commit recorded (0 before any). */
  get serial(): number {
    return this.#serial;
  }

  /** Entries after `serial`, oldest first; undefined when some of them are no longer kept. */
  after(serial: number): readonly CommitEntry[] | undefined {
    const first = this.#entries[0];
    if (serial >= this.#serial) return [];
    if (!first || first.serial > serial + 1) return undefined;
    return this.#entries.slice(serial + 1 - first.serial);
  }

  /** The latest committed row of a latest-row table, as written (do not change it), or undefined when not known. */
  latest(table: string, key: Key): Row | undefined {
    return this.#latest.get(table)?.get(keyId(key));
  }

  /** Records a commit (see the header). */
  record(write: Recorder, committed: boolean): void {
    const unknown = !committed;
    let stream: CommitEntry['stream'];
    if (write.streamTo !== undefined) {
      const end =
        this.#streamEnd !== undefined && this.#streamEnd < write.streamTo ? this.#streamEnd : undefined;
      stream = { from: write.streamRead ?? end, to: write.streamTo };
    }
    const newestBefore = this.#followNewest(write, unknown, stream?.from ?? this.#streamEnd);
    if (unknown) this.#streamEnd = undefined;
    else if (stream) this.#streamEnd = stream.to;
    for (const [table, cache] of this.#latest) {
      if (write.cleared.has(table)) cache.clear();
      // A failed write's rows may or may not be the store's: forgotten.
      else if (unknown) for (const id of write.rows.get(table)?.keys() ?? []) cache.delete(id);
      else {
        // A row the write read and left is the latest too: writes that touch a table one after the other.
        // (One it also wrote is set again just below, with what it wrote.)
        for (const [id, row] of write.read.get(table) ?? []) cache.set(id, row);
        for (const [id, row] of write.rows.get(table) ?? []) cache.set(id, row);
      }
    }
    const kept = Object.keys(this.#options.kept);
    // A commit that deleted kept rows is recorded without its rows: they no longer say what the store holds.
    const whole = !write.tooMany && !unknown && !kept.some((t) => write.cleared.has(t));
    const rows = whole ? pick(write.rows, kept) : undefined;
    this.#entries.push({
      serial: ++this.#serial,
      tables: write.tables,
      ...(stream && { stream }),
      rows,
      unknown,
      ...(newestBefore && { newestBefore }),
    });
    this.#rows += rowCount(rows);
    if (this.#entries.length > ENTRIES) this.#rows -= rowCount(this.#entries.shift()!.rows);
    for (let i = 0; this.#rows > ROWS && i < this.#entries.length; i++) {
      const entry = this.#entries[i]!;
      this.#rows -= rowCount(entry.rows);
      this.#entries[i] = { ...entry, rows: undefined };
    }
  }

  /**
   * Moves the newest row of each group the write put rows in, and says what
   * it was before. A group not known yet gets its newest row from a write
   * only when that row took a position after the last commit's: positions
   * only grow (backfilled events take theirs below everything), so no row of
   * the group is newer. A failed write leaves the groups it wrote in not
   * known, one that deleted rows none.
   */
  #followNewest(
    write: Recorder,
    unknown: boolean,
    before: number | undefined,
  ): Map<string, number | undefined> | undefined {
    const table = this.#options.newest?.table;
    if (table === undefined) return undefined;
    if (write.cleared.has(table)) {
      this.#newest.clear();
      return undefined;
    }
    if (unknown) for (const group of write.newest.keys()) this.#newest.delete(group);
    if (unknown || write.newest.size === 0) return undefined;
    const moved = new Map<string, number | undefined>();
    for (const [group, row] of write.newest) {
      const known = this.#newest.get(group);
      if (known ? row.order < known.order : before === undefined || row.order <= before) continue;
      moved.set(group, known?.value);
      this.#newest.set(group, row);
    }
    return moved;
  }

  /** A recorder for one write transaction. */
  recorder(): Recorder {
    return new Recorder(this.#options);
  }
}

function rowCount(rows: CommitEntry['rows']): number {
  let n = 0;
  for (const byKey of rows?.values() ?? []) n += byKey.size;
  return n;
}

function pick(rows: Map<string, Map<string, Row>>, tables: readonly string[]) {
  return new Map(tables.filter((t) => rows.has(t)).map((t) => [t, rows.get(t)!] as const));
}

/** What one write transaction did so far. */
export class Recorder {
  readonly tables = new Set<string>();
  readonly cleared = new Set<string>();
  readonly rows = new Map<string, Map<string, Row>>();
  /** The newest row put per group (CommitLogOptions.newest), whatever the number of rows. */
  readonly newest = new Map<string, { order: number; value: number }>();
  /** The stream counter as the write first read it. */
  streamRead: number | undefined;
  /** Rows of latest-row tables the write read, by key. */
  readonly read = new Map<string, Map<string, Row>>();
  streamTo: number | undefined;
  tooMany = false;
  readonly #paths: Readonly<Record<string, string | readonly string[]>>;
  readonly #latest: ReadonlySet<string>;
  readonly #newest: CommitLogOptions['newest'];

  constructor(options: CommitLogOptions) {
    this.#paths = { ...options.kept, ...options.latest };
    this.#latest = new Set(Object.keys(options.latest));
    this.#newest = options.newest;
  }

  /** A row the write read: the stream counter's value is where its positions start. */
  got(table: string, key: Key, row: Row | undefined): void {
    if (table === STREAM_TABLE) {
      if (key === STREAM_COUNTER && this.streamRead === undefined)
        this.streamRead = typeof row?.value === 'number' ? row.value : 0;
      return;
    }
    if (row === undefined || !this.#latest.has(table)) return;
    const byKey = this.read.get(table) ?? new Map<string, Row>();
    this.read.set(table, byKey);
    byKey.set(keyId(key), copyOf(row));
  }

  /** Whether `got` wants the rows of the table the write reads. */
  reads(table: string): boolean {
    return table === STREAM_TABLE || this.#latest.has(table);
  }

  put(table: string, row: Row): void {
    this.tables.add(table);
    if (table === STREAM_TABLE && row.name === STREAM_COUNTER && typeof row.value === 'number') {
      this.streamTo = row.value;
      return;
    }
    if (table === this.#newest?.table) this.#follow(row, this.#newest.of);
    const path = this.#paths[table];
    if (path === undefined) return;
    const key = keyAtPath(row, path);
    if (key === undefined) {
      this.cleared.add(table);
      return;
    }
    const byKey = this.rows.get(table) ?? new Map<string, Row>();
    this.rows.set(table, byKey);
    const id = keyId(key);
    byKey.delete(id);
    if (!this.#latest.has(table) && byKey.size >= ROWS_PER_COMMIT) {
      this.tooMany = true;
      return;
    }
    // A copy: the caller may go on changing the object it put, the store
    // keeps what it was at the put.
    byKey.set(id, copyOf(row));
  }

  #follow(row: Row, of: (row: Row) => NewestOf | undefined): void {
    const read = of(row);
    if (!read) return;
    const known = this.newest.get(read.group);
    if (!known || read.order >= known.order)
      this.newest.set(read.group, { order: read.order, value: read.value });
  }

  /** A delete (by key or by query): the table's rows are not known any more; forget what this write put, and the latest. */
  delete(table: string): void {
    this.tables.add(table);
    if (this.#paths[table] !== undefined) this.cleared.add(table);
  }
}

/**
 * `inner` recording every write transaction into `log` once it is settled.
 * The log sees only writes made through this store.
 */
export function withCommitLog(inner: Store, log: CommitLog): Store {
  return {
    read: (tables, fn) => inner.read(tables, fn),
    write: async (tables, fn) => {
      const recorder = log.recorder();
      // fn throwing aborts the transaction: nothing committed, nothing to record.
      let ran = false;
      let committed = false;
      try {
        const result = await inner.write(tables, async (tx) => {
          const value = await fn({
            get: <T extends Row>(table: string, key: Key) => {
              const got = tx.get<T>(table, key);
              // The counter's value is where the write's positions start; a room row read is the latest
              // (a failed get fails the write).
              if (recorder.reads(table))
                got.then(
                  (row) => recorder.got(table, key, row),
                  () => {},
                );
              return got;
            },
            query: (table, query) => tx.query(table, query),
            count: (table, query) => tx.count(table, query),
            put: (table, row) => {
              recorder.put(table, row);
              return tx.put(table, row);
            },
            putAll: (table, rows) => {
              for (const row of rows) recorder.put(table, row);
              return tx.putAll(table, rows);
            },
            // The row as put; a row held already stays, so the table's rows are not known then.
            add: async (table, row) => {
              recorder.put(table, row);
              const added = await tx.add(table, row);
              if (!added) recorder.delete(table);
              return added;
            },
            delete: (table, key) => {
              recorder.delete(table);
              return tx.delete(table, key);
            },
            hold: (work) => tx.hold(work),
            deleteWhere: (table, query) => {
              recorder.delete(table);
              return tx.deleteWhere(table, query);
            },
          } satisfies WriteTx);
          ran = true;
          return value;
        });
        committed = true;
        return result;
      } finally {
        // A commit that failed after fn ran may or may not have written: recorded as unknown.
        if (committed || ran) log.record(recorder, committed);
      }
    },
    close: () => inner.close(),
    ...(inner.peek && { peek: inner.peek.bind(inner) }),
  };
}
