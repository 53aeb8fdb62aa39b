// A read-through cache of rows by primary key in front of any Store. In a
// browser every IndexedDB request is a round trip to another process: one
// message travelling between two browsers made about 60 of them on each side,
// half of them `get`s of rows that rarely change (events, state groups,
// rooms), at about 0.6 ms each. The homeserver is the only writer of its
// database (one worker, or one Node process), so a cache in front of it stays
// true if it forgets every row a committed write touched.
//
// The store's guarantees are kept:
// - A transaction sees its own writes: a key it wrote, or a table it ran
//   deleteWhere on, is read from the transaction itself, never the cache.
// - A transaction never mixes snapshots: it fills the cache only if no write
//   touching that table committed since it began, and it reads cached rows
//   only of tables no write touched since it began (a row cached before that
//   write may be one the write went on to change) and no other write has
//   open (IndexedDB runs it after that write: its row may be changed).
// - Every get returns a row of its own, as the store does (callers may
//   change what they read): the cache keeps a private copy and hands out
//   copies (copy-row.ts). A copy of an event row takes a microsecond, an
//   IndexedDB round trip most of a millisecond. The values of multiEntry
//   indexes in its copy (an event's search entries: arrays of keys, which
//   the homeserver replaces and never changes in place) are frozen, so the
//   copies handed out share them instead of rebuilding about ten arrays.
//
// It also remembers that a key has no row (a sync asks for the same absent
// receipts every time), under the same rules, and a read transaction asks
// the store once for each distinct query (its snapshot cannot change under
// it; an incremental sync repeated a quarter of its queries).
//
// Read transactions also share the answers of queries and counts (a woken
// /sync asks again what the sync before it asked, and of its 16 queries only
// those of the tables the new message was written to have new answers). A
// query's answer is kept per table and forgotten whenever a commit touches
// the table; it is used only while no write that may touch the table is
// open: IndexedDB orders a read after a write created before it, and the
// write's commit is forgotten only after its promise resolves, so an answer
// kept from before the write would mix two snapshots in one read (a stream
// position after the write with the events from before it, a message never
// synced). Answers are bounded in entries and in rows.

import { BoundedCache } from '../protocol/bounded-cache.ts';
import { copyOf } from './copy-row.ts';
import { keyAtPath, keyId, valueAtPath } from './key-path.ts';
import type { Key, ReadTx, Row, Store, WriteTx } from './port.ts';

/** Tables whose rows are cached, with how many rows each keeps (least recently used go first). */
export type RowCacheSizes = Readonly<Record<string, number>>;

/** What one transaction wrote, so that its reads see it and the cache forgets it after the commit. */
interface Written {
  readonly keys: Map<string, Set<string>>;
  readonly cleared: Set<string>;
  /** Puts still running per table: their keys are not known yet, so the table is read from the transaction. */
  readonly putting: Map<string, number>;
}

/** What the cache keeps for a key that has no row. */
const ABSENT: Row = Object.freeze({});

/** Query answers kept at most, and rows in all of them (an answer of more rows is not kept). */
const QUERY_ANSWERS = 256;
const QUERY_ROWS = 2048;
const ANSWER_ROWS = 64;

type Answer = Row[] | number;
const rowsIn = (answer: Answer) => (typeof answer === 'number' ? 0 : answer.length);

/**
 * Answers of queries and counts by table, least recently used first, within
 * QUERY_ANSWERS entries and QUERY_ROWS rows.
 */
class QueryAnswers {
  readonly #answers = new Map<string, { readonly table: string; readonly answer: Answer }>();
  readonly #byTable = new Map<string, Set<string>>();
  #rows = 0;

  get(id: string): Answer | undefined {
    const entry = this.#answers.get(id);
    if (!entry) return undefined;
    this.#answers.delete(id);
    this.#answers.set(id, entry);
    return entry.answer;
  }

  set(table: string, id: string, answer: Answer): void {
    if (rowsIn(answer) > ANSWER_ROWS) return;
    this.#delete(id);
    this.#answers.set(id, { table, answer });
    const ids = this.#byTable.get(table) ?? new Set<string>();
    ids.add(id);
    this.#byTable.set(table, ids);
    this.#rows += rowsIn(answer);
    while (this.#answers.size > QUERY_ANSWERS || this.#rows > QUERY_ROWS)
      this.#delete(this.#answers.keys().next().value as string);
  }

  forgetTable(table: string): void {
    for (const id of this.#byTable.get(table) ?? []) this.#delete(id);
  }

  #delete(id: string): void {
    const entry = this.#answers.get(id);
    if (!entry) return;
    this.#answers.delete(id);
    this.#rows -= rowsIn(entry.answer);
    const ids = this.#byTable.get(entry.table)!;
    ids.delete(id);
    if (ids.size === 0) this.#byTable.delete(entry.table);
  }
}

/**
 * `inner` behind a cache of the rows of `sizes`' tables (gets of other tables
 * go straight through); `keyPaths` gives the primary key paths that let a
 * putAll forget only the rows it wrote; `frozenPaths` the paths, by table,
 * of the values the cache keeps frozen (its multiEntry indexes' arrays).
 */
export function withRowCache(
  inner: Store,
  sizes: RowCacheSizes,
  keyPaths: Readonly<Record<string, string | readonly string[]>> = {},
  frozenPaths: Readonly<Record<string, readonly string[]>> = {},
): Store {
  /** The cache's own copy of a row, its values at frozenPaths frozen (copy-row.ts shares them). */
  const kept = (table: string, row: Row): Row => {
    const copy = copyOf(row);
    for (const path of frozenPaths[table] ?? []) freezeKeys(valueAtPath(copy, path));
    return copy;
  };
  const rows = new Map(Object.entries(sizes).map(([t, size]) => [t, new BoundedCache<string, Row>(size)]));
  /** Commits so far, and the count at the last commit that touched each table. */
  let commits = 0;
  const touchedAt = new Map<string, number>();
  const answers = new QueryAnswers();
  /**
   * Write transactions open (from their call to their forget) per table of
   * their scope, by their number: writes are numbered as they open, in the
   * order the store runs them.
   */
  const writing = new Map<string, Set<number>>();
  let opened = 0;
  /** Whether a write numbered below `mine` is open on the table: the store runs this transaction after it. */
  const earlierWriteOpen = (table: string, mine: number) => {
    for (const n of writing.get(table) ?? []) if (n < mine) return true;
    return false;
  };

  const unchangedSince = (table: string, began: number) => (touchedAt.get(table) ?? 0) <= began;

  /** A read's query or count, from the answers kept while the table's answer may be shared (see the header). */
  const sharedAnswer = async <T extends Answer>(
    table: string,
    id: string,
    began: number,
    ask: () => Promise<T>,
  ): Promise<T> => {
    const shareable = () => unchangedSince(table, began) && !writing.get(table)?.size;
    const hit = shareable() ? answers.get(id) : undefined;
    if (hit !== undefined) return hit as T;
    const answer = await ask();
    // Kept as asked: a read hands out copies only (`once`), so nobody holds this one.
    if (shareable()) answers.set(table, id, answer);
    return answer;
  };

  const cachedGet = async <T extends Row>(
    tx: ReadTx,
    table: string,
    key: Key,
    began: number,
    mine: number,
    written?: Written,
  ): Promise<T | undefined> => {
    const byKey = rows.get(table);
    const id = keyId(key);
    const ownWrite =
      written &&
      (written.cleared.has(table) ||
        (written.putting.get(table) ?? 0) > 0 ||
        written.keys.get(table)?.has(id));
    if (!byKey || ownWrite) return tx.get<T>(table, key);
    // A write opened before this transaction and still open may change the
    // row before the store runs this get (IndexedDB runs a transaction after
    // the overlapping write ones created before it): a cached row would be the
    // one from before that write, and two writers of a stream counter would
    // take the same position.
    const fresh = unchangedSince(table, began) && !earlierWriteOpen(table, mine);
    const hit = fresh ? byKey.get(id) : undefined;
    if (hit === ABSENT) return undefined;
    if (hit) return copyOf(hit) as T;
    const row = await tx.get<T>(table, key);
    if (unchangedSince(table, began)) byKey.set(id, row === undefined ? ABSENT : kept(table, row));
    return row;
  };

  const forget = (written: Written) => {
    commits++;
    // A put still unanswered when the transaction ended may have written
    // rows it never named: its tables are forgotten whole.
    for (const [table, n] of written.putting) if (n > 0) written.cleared.add(table);
    for (const table of new Set([...written.keys.keys(), ...written.cleared])) {
      touchedAt.set(table, commits);
      answers.forgetTable(table);
    }
    for (const [table, keys] of written.keys) for (const id of keys) rows.get(table)?.delete(id);
    for (const table of written.cleared) rows.get(table)?.clear();
  };

  /** Marks the tables of a write's scope open under the write's number; close() closes them again. */
  const open = (tables: readonly string[]) => {
    const mine = ++opened;
    const scope = new Set(tables);
    for (const table of scope) writing.set(table, (writing.get(table) ?? new Set()).add(mine));
    const close = () => {
      for (const table of scope) {
        const open = writing.get(table)!;
        open.delete(mine);
        if (open.size === 0) writing.delete(table);
      }
    };
    return { mine, close };
  };

  return {
    read: (tables, fn) => {
      const began = commits;
      // After every write opened so far: the store runs this read after those of them still open.
      const mine = opened + 1;
      return inner.read(tables, (tx) => {
        const asked = new Map<string, Promise<unknown>>();
        const once = async <T>(key: string, ask: () => Promise<T>): Promise<T> => {
          let answer = asked.get(key) as Promise<T> | undefined;
          if (!answer) {
            answer = ask();
            asked.set(key, answer);
          }
          return copyOf(await answer);
        };
        return fn({
          get: (table, key) => cachedGet(tx, table, key, began, mine),
          query: (table, query) => {
            const id = `q${table}\u0000${JSON.stringify(query)}`;
            return once(id, () => sharedAnswer(table, id, began, () => tx.query(table, query)));
          },
          count: (table, query) => {
            const id = `c${table}\u0000${JSON.stringify(query)}`;
            return once(id, () => sharedAnswer(table, id, began, () => tx.count(table, query)));
          },
        });
      });
    },
    write: async (tables, fn) => {
      const began = commits;
      const { mine, close } = open(tables);
      const written: Written = { keys: new Map(), cleared: new Set(), putting: new Map() };
      const note = (table: string, key: Key) => {
        const keys = written.keys.get(table) ?? new Set<string>();
        keys.add(keyId(key));
        written.keys.set(table, keys);
      };
      try {
        return await inner.write(tables, (tx) =>
          fn({
            get: (table, key) => cachedGet(tx, table, key, began, mine, written),
            query: (table, query) => tx.query(table, query),
            count: (table, query) => tx.count(table, query),
            put: async (table, row) => {
              written.putting.set(table, (written.putting.get(table) ?? 0) + 1);
              try {
                const key = await tx.put(table, row);
                note(table, key);
                return key;
              } finally {
                written.putting.set(table, written.putting.get(table)! - 1);
              }
            },
            putAll: async (table, rows) => {
              // Each row's key is read from it where the table's key path is known
              // (not auto-increment); otherwise the whole table is forgotten.
              const path = keyPaths[table];
              const keys = path === undefined ? [] : rows.map((row) => keyAtPath(row, path));
              if (path === undefined || keys.some((key) => key === undefined)) written.cleared.add(table);
              else for (const key of keys) note(table, key!);
              await tx.putAll(table, rows);
            },
            delete: async (table, key) => {
              note(table, key);
              await tx.delete(table, key);
            },
            deleteWhere: async (table, query) => {
              written.cleared.add(table);
              return tx.deleteWhere(table, query);
            },
          } satisfies WriteTx),
        );
      } finally {
        // Committed or not: a failed commit may still have written (a lost
        // connection can leave the outcome unknown), and forgetting is always safe.
        forget(written);
        close();
      }
    },
    close: () => inner.close(),
    // Every cached row is as of the last commit that touched it (fills that
    // could be older are refused, commits forget what they wrote).
    peek: <T extends Row>(table: string, key: Key) => {
      const hit = rows.get(table)?.get(keyId(key));
      return hit === undefined || hit === ABSENT ? undefined : (copyOf(hit) as T);
    },
  };
}

/**
 * Freezes an array of keys and the arrays in it, deeply; leaves alone (and
 * answers false for) one holding anything else, such as binary keys, which
 * cannot be frozen.
 */
function freezeKeys(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  if (Object.isFrozen(value)) return true;
  for (const member of value)
    if (typeof member === 'object' && member !== null && !freezeKeys(member)) return false;
  Object.freeze(value);
  return true;
}
