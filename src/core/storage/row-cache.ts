// A cache of rows by primary key, and of query answers, in front of any
// Store. In a browser every IndexedDB request is a round trip to another
// process: one message travelling between two browsers made about 60 of them
// on each side, half of them `get`s of rows that rarely change (events, state
// groups, rooms), at about 0.6 ms each. The homeserver is the only writer of
// its database (one worker, or one Node process), so a cache in front of it
// stays true if it learns (or forgets) every row a committed write touched.
//
// The store's guarantees are kept:
// - A transaction sees its own writes: a key it wrote is read from what it
//   wrote once the store has answered that request (a request still running
//   or failed, or a table it ran deleteWhere on or put into under a key the
//   store assigns, is read from the transaction itself), and a query or count
//   of a table it wrote is asked of the transaction.
// - A transaction never mixes snapshots. The cache holds the committed state:
//   a write's rows are learnt only once its commit resolved (an abort, or a
//   failed commit whose outcome is unknown, forgets what it touched instead,
//   and a request that failed is forgotten though the write commits). A read
//   fills the cache only if no write touching that table committed since it
//   began, and reads cached rows only of tables no write touched since it
//   began (its snapshot is older than the cache) and no write opened before
//   it still has open (IndexedDB runs it after that write: its row may be
//   changed). A write runs after every write opened before it on its tables:
//   it reads from memory while none of those is still open (their commits
//   are learnt when they close; two writes open together, of different
//   rooms' locks, read the stream counter's row and must not take the same
//   position), and what it reads from the store before writing the key or
//   table is the committed state too (no write can commit the table while it
//   is open), so it fills the cache.
// - Every get returns a row of its own, as the store does (callers may
//   change what they read): the cache keeps a private copy (of a put, taken
//   at the put, as the store's) and hands out copies (copy-row.ts). A copy of
//   an event row takes a microsecond, an IndexedDB round trip most of a
//   millisecond. The values of multiEntry indexes in its copy (an event's
//   search entries: arrays of keys, which the homeserver replaces and never
//   changes in place) are frozen, so the copies handed out share them
//   instead of rebuilding about ten arrays.
//
// It also remembers that a key has no row (a sync asks for the same absent
// receipts every time), under the same rules, and a read transaction asks
// the store once for each distinct query (its snapshot cannot change under
// it; an incremental sync repeated a quarter of its queries).
//
// Transactions also share the answers of queries and counts (a woken /sync
// asks again what the sync before it asked; a send's write and a received
// message's ask for the room's extremities, members, redactions waiting).
// A query's answer is kept per table, and a commit that touched the table
// brings it up to date with the rows it wrote (answer-update.ts) or forgets
// it (a count, a cut answer, an unknown row). Reads use one only while no
// write that may touch the table is open: IndexedDB orders a read after a
// write created before it, and the write's commit is learnt only after its
// promise resolves, so an answer kept from before the write would mix two
// snapshots in one read (a stream position after the write with the events
// from before it, a message never synced). Writes use one under their rule
// for rows, and only for a table they have not written. Answers are bounded
// in entries and in rows.

import { BoundedCache } from '../protocol/bounded-cache.ts';
import { copyOf } from './copy-row.ts';
import { updatedAnswer } from './answer-update.ts';
import { indexPath, keyAtPath, keyId, valueAtPath } from './key-path.ts';
import type { Key, Query, ReadTx, Row, Store, TableSpec, WriteTx } from './port.ts';

/** Tables whose rows are cached, with how many rows each keeps (least recently used go first). */
export type RowCacheSizes = Readonly<Record<string, number>>;

/**
 * What a write left a key as: its row (the cache's own copy, or ABSENT for a
 * delete), UNKNOWN when that is not known (an auto-increment put, a failed
 * request), and how many of its requests on the key are still unanswered.
 */
interface KeyWrite {
  row: Row;
  pending: number;
}

/** What one transaction wrote, so that its reads see it and the cache learns it after the commit. */
interface Written {
  readonly keys: Map<string, Map<string, KeyWrite>>;
  readonly cleared: Set<string>;
  /** Puts still running per table whose keys are not known yet: the table is read from the transaction. */
  readonly putting: Map<string, number>;
}

/** What the cache keeps for a key that has no row. */
const ABSENT: Row = Object.freeze({});
/** A key written with a row the cache cannot tell (see KeyWrite). */
const UNKNOWN: Row = Object.freeze({});

/** Query answers kept at most, and rows in all of them (an answer of more rows is not kept). */
const QUERY_ANSWERS = 256;
const QUERY_ROWS = 2048;
const ANSWER_ROWS = 64;

type Answer = Row[] | number;
/** An answer, and whether the cache keeps it for later transactions (then nobody may change it). */
interface Asked<T> {
  readonly answer: T;
  readonly kept: boolean;
}
const rowsIn = (answer: Answer) => (typeof answer === 'number' ? 0 : answer.length);

interface AnswerEntry {
  readonly table: string;
  readonly answer: Answer;
  /** The query of a query's answer (undefined for a count's). */
  readonly query: Query | undefined;
}

/**
 * Answers of queries and counts by table, least recently used first, within
 * QUERY_ANSWERS entries and QUERY_ROWS rows.
 */
class QueryAnswers {
  readonly #answers = new Map<string, AnswerEntry>();
  readonly #byTable = new Map<string, Set<string>>();
  #rows = 0;

  get(id: string): Answer | undefined {
    const entry = this.#answers.get(id);
    if (!entry) return undefined;
    this.#answers.delete(id);
    this.#answers.set(id, entry);
    return entry.answer;
  }

  /** Keeps `answer` (whether it did: one of more than ANSWER_ROWS rows is not kept). */
  set(table: string, id: string, answer: Answer, query?: Query): boolean {
    this.#delete(id);
    if (rowsIn(answer) > ANSWER_ROWS) return false;
    this.#answers.set(id, { table, answer, query });
    const ids = this.#byTable.get(table) ?? new Set<string>();
    ids.add(id);
    this.#byTable.set(table, ids);
    this.#rows += rowsIn(answer);
    while (this.#answers.size > QUERY_ANSWERS || this.#rows > QUERY_ROWS)
      this.#delete(this.#answers.keys().next().value as string);
    return this.#answers.has(id);
  }

  forgetTable(table: string): void {
    for (const id of this.#byTable.get(table) ?? []) this.#delete(id);
  }

  clear(): void {
    this.#answers.clear();
    this.#byTable.clear();
    this.#rows = 0;
  }

  /** Replaces each answer of the table with `update`'s, or forgets it where that is undefined. */
  updateTable(table: string, update: (entry: AnswerEntry) => Answer | undefined): void {
    for (const id of [...(this.#byTable.get(table) ?? [])]) {
      // Setting a grown answer may have evicted one of this table's next ones
      // (least recently used, to stay within QUERY_ROWS): it is simply gone.
      const entry = this.#answers.get(id);
      if (entry === undefined) continue;
      const answer = update(entry);
      if (answer === undefined) this.#delete(id);
      else this.set(table, id, answer, entry.query);
    }
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

const queryId = (kind: 'q' | 'c', table: string, query: Query | undefined) =>
  `${kind}${table}\u0000${JSON.stringify(query)}`;

/**
 * `inner` behind a cache of the rows of `sizes`' tables (gets of other tables
 * go straight through). `specs` (the schema's tables) give the primary keys
 * that let a write's rows be learnt after its commit (where the key is not
 * the store's to assign), the indexes that let a query's answer be brought
 * up to date with them (answer-update.ts), and the multiEntry indexes whose
 * arrays the cache keeps frozen; a table without one is forgotten instead.
 */
export function withRowCache(
  inner: Store,
  sizes: RowCacheSizes,
  specs: Readonly<Record<string, TableSpec>> = {},
): Store {
  const keyPathOf = (table: string) => {
    const spec = specs[table];
    return spec && !spec.autoIncrement ? spec.key : undefined;
  };
  /** The key of a row the cache can learn (undefined: the store assigns it, or the row has none). */
  const keyOfRow = (table: string, row: Row) => {
    const path = keyPathOf(table);
    return path === undefined ? undefined : keyAtPath(row, path);
  };
  const frozenPaths = new Map(
    Object.entries(specs).map(([table, spec]) => [
      table,
      Object.values(spec.indexes ?? {})
        .map(indexPath)
        .filter(({ multiEntry }) => multiEntry)
        .map(({ path }) => path as string),
    ]),
  );
  /** The cache's own copy of a row, its values at frozenPaths frozen (copy-row.ts shares them). */
  const kept = (table: string, row: Row): Row => {
    const copy = copyOf(row);
    for (const path of frozenPaths.get(table) ?? []) freezeKeys(valueAtPath(copy, path));
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

  /**
   * A read's query or count, from the answers kept while the table's answer
   * may be shared (see the header), and whether the answer is kept (shared
   * with later reads).
   */
  const sharedAnswer = async <T extends Answer>(
    table: string,
    id: string,
    began: number,
    ask: () => Promise<T>,
    query?: Query,
  ): Promise<Asked<T>> => {
    const shareable = () => unchangedSince(table, began) && !writing.get(table)?.size;
    const hit = shareable() ? answers.get(id) : undefined;
    if (hit !== undefined) return { answer: hit as T, kept: true };
    const answer = await ask();
    // Kept as asked: a read hands out copies of a kept answer only (`once`), so nobody holds this one.
    return { answer, kept: shareable() && answers.set(table, id, answer, query) };
  };

  /** Whether a write has written the table in a way its reads must ask the transaction for (not by known keys). */
  const wroteWhole = (written: Written, table: string) =>
    written.cleared.has(table) || (written.putting.get(table) ?? 0) > 0;

  /**
   * A write's query or count: while no write opened before it is open on
   * the table (the store runs it after those; their commits are learnt when
   * they close) and it wrote nothing to the table yet (its own writes are
   * not in the answer), the committed answer is the one it would get. One it
   * asks under those rules is the committed answer too (requests run in the
   * order issued, so its own later writes are not in it) and is kept.
   */
  const writeAnswer = async <T extends Answer>(
    table: string,
    id: string,
    mine: number,
    written: Written,
    ask: () => Promise<T>,
    query?: Query,
  ): Promise<T> => {
    if (wroteWhole(written, table) || written.keys.has(table) || earlierWriteOpen(table, mine)) return ask();
    const hit = answers.get(id);
    if (hit !== undefined) return copyOf(hit) as T;
    const at = touchedAt.get(table);
    const answer = await ask();
    if (touchedAt.get(table) === at) answers.set(table, id, copyOf(answer), query);
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
    if (written) {
      // A transaction sees its own writes: from memory once the store has
      // answered them (a request that failed leaves UNKNOWN), else from it.
      if (wroteWhole(written, table)) return tx.get<T>(table, key);
      const own = written.keys.get(table)?.get(id);
      if (own) {
        if (own.pending > 0 || own.row === UNKNOWN) return tx.get<T>(table, key);
        return own.row === ABSENT ? undefined : (copyOf(own.row) as T);
      }
    }
    if (!byKey) return tx.get<T>(table, key);
    // A write opened before this transaction and still open may change the
    // row before the store runs this get (IndexedDB runs a transaction after
    // the overlapping write ones created before it): a cached row would be the
    // one from before that write, and two writers of a stream counter would
    // take the same position. A read that began before a commit touched the
    // table runs on the snapshot before it, older than the cache; a write
    // runs after every commit learnt (see `learn`).
    const fresh = (written !== undefined || unchangedSince(table, began)) && !earlierWriteOpen(table, mine);
    const hit = fresh ? byKey.get(id) : undefined;
    if (hit === ABSENT) return undefined;
    if (hit) return copyOf(hit) as T;
    const row = await tx.get<T>(table, key);
    // A write's get answers the committed row (its own writes of the key go
    // above; one issued after the get runs after it): no write opened before
    // it is still to commit, and none opened after it can commit before it
    // ends. A read's, only if no commit touched the table since it began.
    if (written !== undefined || unchangedSince(table, began))
      byKey.set(id, row === undefined ? ABSENT : kept(table, row));
    return row;
  };

  /**
   * After a write ended: its tables are marked touched (reads that began
   * before run on the snapshot before it), and, committed, the cache learns
   * the rows it left (a write of each message changes the stream counter and
   * the room's extremities, which the next write reads again) and brings the
   * answers of its tables up to date; not committed (or not known to be: a
   * failed commit may still have written), it forgets what the write touched.
   */
  /** Forgets every row and answer, as if every table had just been written. */
  const forgetAll = () => {
    commits++;
    for (const [table, byKey] of rows) {
      touchedAt.set(table, commits);
      byKey.clear();
    }
    for (const table of touchedAt.keys()) touchedAt.set(table, commits);
    answers.clear();
  };

  const learn = (written: Written, committed: boolean) => {
    commits++;
    // A put still unanswered when the transaction ended may have written
    // rows it never named: its tables are forgotten whole.
    for (const [table, n] of written.putting) if (n > 0) written.cleared.add(table);
    for (const table of new Set([...written.keys.keys(), ...written.cleared])) touchedAt.set(table, commits);
    for (const table of written.cleared) {
      rows.get(table)?.clear();
      answers.forgetTable(table);
    }
    for (const [table, keys] of written.keys) {
      if (written.cleared.has(table)) continue;
      const byKey = rows.get(table);
      const changes = new Map<string, Row>();
      for (const [id, { row, pending }] of keys) {
        const known = committed && pending === 0 && row !== UNKNOWN;
        if (known) changes.set(id, row);
        if (known && byKey) byKey.set(id, row);
        else byKey?.delete(id);
      }
      const spec = specs[table];
      if (changes.size < keys.size || !spec) answers.forgetTable(table);
      else
        answers.updateTable(table, ({ answer, query }) =>
          typeof answer === 'number' || !query
            ? undefined
            : updatedAnswer(answer, query, spec, changes, ABSENT),
        );
    }
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
        // A query asked again in the same transaction is answered from the
        // first answer (its snapshot cannot change). Each asker gets a copy,
        // but for an answer that is not kept and had one asker: it gets the
        // store's own rows (paging a room's history back read and copied
        // 100,000 event rows for nobody else, a sixth of the worker's
        // allocations), and a later asker asks the store again.
        const asked = new Map<string, { answer: Promise<Asked<unknown>>; askers: number }>();
        const once = async <T>(key: string, ask: () => Promise<Asked<T>>): Promise<T> => {
          let entry = asked.get(key);
          if (!entry) {
            entry = { answer: ask(), askers: 0 };
            asked.set(key, entry);
          }
          entry.askers++;
          const { answer, kept } = await entry.answer;
          if (kept || entry.askers > 1) return copyOf(answer as T);
          asked.delete(key);
          return answer as T;
        };
        return fn({
          get: (table, key) => cachedGet(tx, table, key, began, mine),
          query: (table, query) => {
            const id = queryId('q', table, query);
            return once(id, () => sharedAnswer(table, id, began, () => tx.query(table, query), query));
          },
          count: (table, query) => {
            const id = queryId('c', table, query);
            return once(id, () => sharedAnswer(table, id, began, () => tx.count(table, query)));
          },
        });
      });
    },
    write: async (tables, fn) => {
      const began = commits;
      const { mine, close } = open(tables);
      const written: Written = { keys: new Map(), cleared: new Set(), putting: new Map() };
      /**
       * Notes a request writing `row` (ABSENT: deleting) at the key `id`, and
       * what became of it: `wrote` false for its answer (an add that found a
       * row held) leaves the key's row unknown.
       */
      const noted = async <T>(
        table: string,
        ids: readonly string[],
        row: (i: number) => Row,
        request: () => Promise<T>,
        wrote: (answer: T) => boolean = () => true,
      ) => {
        const keys = written.keys.get(table) ?? new Map<string, KeyWrite>();
        written.keys.set(table, keys);
        const writes = ids.map((id, i) => {
          const write = keys.get(id) ?? { row: UNKNOWN, pending: 0 };
          write.row = row(i);
          write.pending++;
          keys.set(id, write);
          return write;
        });
        try {
          const answer = await request();
          if (!wrote(answer)) for (const write of writes) write.row = UNKNOWN;
          return answer;
        } catch (error) {
          for (const write of writes) write.row = UNKNOWN;
          throw error;
        } finally {
          for (const write of writes) write.pending--;
        }
      };
      let committed = false;
      // Once its function has returned, the transaction is the store's to
      // refuse (TransactionInactiveError), not the cache's to answer.
      let active = true;
      const ended = () => {
        active = false;
      };
      try {
        const result = await inner.write(tables, (tx) =>
          fn({
            get: (table, key) =>
              active ? cachedGet(tx, table, key, began, mine, written) : tx.get(table, key),
            query: (table, query) =>
              active
                ? writeAnswer(
                    table,
                    queryId('q', table, query),
                    mine,
                    written,
                    () => tx.query(table, query),
                    query,
                  )
                : tx.query(table, query),
            count: (table, query) =>
              active
                ? writeAnswer(table, queryId('c', table, query), mine, written, () => tx.count(table, query))
                : tx.count(table, query),
            put: async (table, row) => {
              const key = keyOfRow(table, row);
              // The row as written (the store copies it now, too), so that
              // the cache learns it at the commit and the transaction reads it back.
              if (key !== undefined)
                return noted(
                  table,
                  [keyId(key)],
                  () => kept(table, row),
                  () => tx.put(table, row),
                );
              // Its key is the store's to assign (or not valid): known once
              // answered. The store keeps the row with that key at the key
              // path (W3C IndexedDB 3.0, §5.5 "store a record into an object
              // store": the generated key is injected into the clone), so the
              // row is known too where the path is one step.
              const injected = injectedKeyPath(specs[table]);
              const copy = injected === undefined ? undefined : kept(table, row);
              written.putting.set(table, (written.putting.get(table) ?? 0) + 1);
              try {
                const assigned = await tx.put(table, row);
                if (copy) copy[injected!] = assigned;
                await noted(
                  table,
                  [keyId(assigned)],
                  () => copy ?? UNKNOWN,
                  async () => undefined,
                );
                return assigned;
              } finally {
                written.putting.set(table, written.putting.get(table)! - 1);
              }
            },
            putAll: async (table, all) => {
              const keys = all.map((row) => keyOfRow(table, row));
              if (keyPathOf(table) === undefined || keys.some((key) => key === undefined)) {
                written.cleared.add(table);
                return tx.putAll(table, all);
              }
              return noted(
                table,
                keys.map((key) => keyId(key!)),
                (i) => kept(table, all[i]!),
                () => tx.putAll(table, all),
              );
            },
            // The row it would write, or (a row held: false) the one held, which the cache may not know.
            add: async (table, row) => {
              const key = keyOfRow(table, row);
              if (key === undefined) {
                written.cleared.add(table);
                return tx.add(table, row);
              }
              return noted(
                table,
                [keyId(key)],
                () => kept(table, row),
                () => tx.add(table, row),
                (added) => added,
              );
            },
            delete: (table, key) =>
              noted(
                table,
                [keyId(key)],
                () => ABSENT,
                () => tx.delete(table, key),
              ),
            hold: (work) => tx.hold(work),
            deleteWhere: async (table, query) => {
              written.cleared.add(table);
              return tx.deleteWhere(table, query);
            },
          } satisfies WriteTx).finally(ended),
        );
        committed = true;
        return result;
      } finally {
        // Committed or not: a failed commit may still have written (a lost
        // connection can leave the outcome unknown), and forgetting is always safe.
        // Learning must not turn a committed write into a failed one (its
        // caller would retry it: a second event, a second stream position) nor
        // leave its tables open: if it throws, the cache forgets everything.
        try {
          learn(written, committed);
        } catch {
          forgetAll();
        } finally {
          close();
        }
      }
    },
    close: () => inner.close(),
    // Every cached row is as of the last commit that touched it (fills that
    // could be older are refused, commits leave what they wrote).
    peek: <T extends Row>(table: string, key: Key) => {
      const hit = rows.get(table)?.get(keyId(key));
      return hit === undefined || hit === ABSENT ? undefined : (copyOf(hit) as T);
    },
  };
}

/** The key path of an auto-increment table when it is one step (no dots), where the store puts the key it assigns. */
function injectedKeyPath(spec: TableSpec | undefined): string | undefined {
  return spec?.autoIncrement && typeof spec.key === 'string' && !spec.key.includes('.') && spec.key !== ''
    ? spec.key
    : undefined;
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
