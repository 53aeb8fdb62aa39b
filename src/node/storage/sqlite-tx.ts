// The port's transaction over one node:sqlite connection, inside a
// BEGIN...COMMIT that sqlite-store.ts opens. Every operation is synchronous
// underneath; it checks that the transaction is still open and the table is in
// its scope, as IndexedDB does.

import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import {
  isValidKey,
  type Key,
  keyAtPath,
  keyId,
  multiEntryKeys,
  type Query,
  type Row,
  StorageError,
  valueAtPath,
  type WriteTx,
} from '../../core/storage.ts';
import { encodeKey } from './key-codec.ts';
import { decodeRow, encodeRow } from './row-codec.ts';
import {
  type EntriesIndex,
  MAX_ENTRIES_PER_STATEMENT,
  MAX_ROWS_PER_STATEMENT,
  type TableLayout,
} from './sqlite-layout.ts';
import { sqlQuery } from './sqlite-query.ts';

/** The largest key IndexedDB's key generator hands out. */
const MAX_GENERATED_KEY = 2 ** 53;

export interface TxContext {
  readonly db: DatabaseSync;
  readonly layouts: ReadonlyMap<string, TableLayout>;
  /** Prepared statements by SQL text, kept for the connection's lifetime. */
  readonly prepare: (sql: string) => StatementSync;
}

export interface TxState {
  active: boolean;
}

export function sqliteTx(context: TxContext, scope: ReadonlySet<string>, state: TxState): WriteTx {
  const { prepare } = context;
  const layout = (name: string) => {
    if (!state.active) throw new StorageError('TransactionInactiveError', 'the transaction has finished');
    const found = scope.has(name) ? context.layouts.get(name) : undefined;
    if (!found) throw new StorageError('NotFoundError', `table ${name} is not in this transaction`);
    return found;
  };
  /** The layout of a table whose rows bring their keys (putAll and add refuse an auto-increment one). */
  const keyedLayout = (name: string, what: string) => {
    const found = layout(name);
    if (found.spec.autoIncrement)
      throw new StorageError('DataError', `${what} into ${name}, an auto-increment table`);
    return found;
  };
  const select = (name: string, query: Query | undefined) => sqlQuery(name, layout(name), query);
  return {
    get: async <T extends Row>(name: string, key: Key) => {
      const found = prepare(layout(name).sql.get).get(encodeKey(key));
      return found ? (decodeRow(found.v as string) as T) : undefined;
    },
    query: async <T extends Row>(name: string, query?: Query) => {
      const sql = select(name, query);
      const rows = prepare(`SELECT ${sql.value} AS v ${sql.from} ${sql.order}`).all(...sql.params);
      return rows.map((row) => decodeRow(row.v as string) as T);
    },
    count: async (name, query) => {
      const sql = select(name, query);
      const text = sql.limited
        ? `SELECT count(*) AS n FROM (SELECT 1 ${sql.countFrom} ${sql.order})`
        : `SELECT count(*) AS n ${sql.countFrom}`;
      return Number(prepare(text).get(...sql.params)!.n);
    },
    put: async (name, row) => put(context, layout(name), name, row),
    putAll: async (name, rows) => putMany(context, keyedLayout(name, 'putAll'), rows),
    add: async (name, row) => {
      const found = keyedLayout(name, 'add');
      const encoded = encodeKey(keyOfRow(found, row));
      const values: SQLInputValue[] = [];
      pushColumns(values, found, encoded, row);
      return insertedNew(context, found, encoded, row, values);
    },
    delete: async (name, key) => {
      const found = layout(name);
      const encoded = encodeKey(key);
      if (found.multi.length > 0) dropStoredEntries(context, found, [encoded]);
      prepare(found.sql.delete).run(encoded);
    },
    // SQLite's transaction stays open across any await: nothing to keep it so.
    hold: async (work) => {
      if (!state.active) throw new StorageError('TransactionInactiveError', 'the transaction has finished');
      return work;
    },
    deleteWhere: async (name, query) => {
      const found = layout(name);
      const sql = select(name, query);
      if (found.multi.length > 0) {
        // The rows' entries go with them: each row matched (once, however many of its index
        // entries the limit counted) is read with its JSON, its entries dropped, then it.
        const rows = prepare(
          `SELECT k, v FROM ${found.table} WHERE k IN (SELECT ${sql.key} ${sql.countFrom} ${sql.order})`,
        ).all(...sql.params);
        for (const { k, v } of rows) {
          dropEntriesOf(context, found, k as Uint8Array, v as string);
          prepare(found.sql.delete).run(k as Uint8Array);
        }
        return rows.length;
      }
      const text = sql.limited
        ? `DELETE FROM ${found.table} WHERE rowid IN (SELECT rowid ${sql.from} ${sql.order})`
        : `DELETE ${sql.from}`;
      return Number(prepare(text).run(...sql.params).changes);
    },
  };
}

function put(context: TxContext, layout: TableLayout, name: string, row: Row): Key {
  const { prepare } = context;
  const { key: path, autoIncrement } = layout.spec;
  let stored = row;
  let key = keyAtPath(row, path);
  if (autoIncrement) {
    const given = valueAtPath(row, path as string);
    if (given === undefined) {
      key = generateKey(prepare, name);
      stored = withValueAt(row, path as string, key);
    } else if (typeof given === 'number' && isValidKey(given)) {
      // IndexedDB 3.0 §2.11: an explicit number at or above the generator's value moves it up.
      const last = Math.min(Math.floor(given), MAX_GENERATED_KEY);
      prepare(
        'INSERT INTO _key_generator (tbl, last) VALUES (?, ?) ' +
          'ON CONFLICT (tbl) DO UPDATE SET last = max(last, excluded.last)',
      ).run(name, last);
    }
  }
  if (key === undefined)
    throw new StorageError('DataError', `row has no valid key at ${JSON.stringify(path)}`);
  writeRows(context, layout, [stored], [key]);
  return key;
}

/**
 * Rows of one table without a key generator, several to an INSERT (one
 * statement run costs about as much as a row; measured on 30,000 rows of a
 * key and 200 bytes of JSON: 2.2 µs a row one to a statement, 1.2-1.3 µs
 * thirty to one). The statements take 32, 16, ... 1 rows, so that a table
 * has at most six of them cached; rows are written in order, so a key given
 * twice keeps its last row, as a put after a put does.
 */
function putMany(context: TxContext, layout: TableLayout, rows: readonly Row[]): void {
  for (let i = 0; i < rows.length; ) {
    const n = chunk(rows.length - i, MAX_ROWS_PER_STATEMENT);
    const batch = rows.slice(i, i + n);
    const keys = batch.map((row) => keyOfRow(layout, row));
    writeRows(context, layout, batch, keys);
    i += n;
  }
}

/**
 * Rows under their keys (as many as a power of two up to
 * MAX_ROWS_PER_STATEMENT) in one INSERT OR REPLACE. With multiEntry indexes,
 * the rows they replace are read with one lookup and their entries dropped,
 * and the new entries go several to an INSERT too.
 */
function writeRows(
  context: TxContext,
  layout: TableLayout,
  rows: readonly Row[],
  keys: readonly Key[],
): void {
  const values: SQLInputValue[] = [];
  const encoded: Uint8Array[] = [];
  rows.forEach((row, j) => {
    const key = encodeKey(keys[j]!);
    encoded.push(key);
    pushColumns(values, layout, key, row);
  });
  if (layout.multi.length === 0) {
    context.prepare(layout.sql.insert[rows.length]!).run(...values);
    return;
  }
  // One row under a key not held yet (a received event, the usual put into a
  // table with multiEntry indexes) has no entries to drop: inserted at once,
  // without the lookup that would find nothing (2-3 µs a received PDU, issue
  // 13). A held key inserts nothing (changes 0) and goes the way below.
  if (rows.length === 1 && insertedNew(context, layout, encoded[0]!, rows[0]!, values)) return;
  const insert = context.prepare(layout.sql.insert[rows.length]!);
  dropStoredEntries(context, layout, encoded);
  insert.run(...values);
  // A key given twice keeps its last row, and that row's entries only.
  const last = new Map(keys.map((key, j) => [keyId(key), j]));
  for (const j of last.values()) putEntries(context, layout.multi, encoded[j]!, rows[j]!);
}

/** The key of a row of a table without a key generator (DataError without a valid one). */
function keyOfRow(layout: TableLayout, row: Row): Key {
  const key = keyAtPath(row, layout.spec.key);
  if (key === undefined)
    throw new StorageError('DataError', `row has no valid key at ${JSON.stringify(layout.spec.key)}`);
  return key;
}

/**
 * Inserts a row (its columns `values`) and its index entries unless its key
 * is held: true when inserted; a held key inserts nothing (changes 0) and
 * keeps its row and entries.
 */
function insertedNew(
  context: TxContext,
  layout: TableLayout,
  key: Uint8Array,
  row: Row,
  values: readonly SQLInputValue[],
): boolean {
  if (Number(context.prepare(layout.sql.insertNew).run(...values).changes) === 0) return false;
  if (layout.multi.length > 0) putEntries(context, layout.multi, key, row);
  return true;
}

/**
 * A row's entries in the multiEntry indexes `multi` (those of the row it
 * replaces were dropped first: dropStoredEntries), several to an INSERT.
 */
export function putEntries(
  { prepare }: Pick<TxContext, 'prepare'>,
  multi: readonly EntriesIndex[],
  key: Uint8Array,
  row: Row,
): void {
  for (const { path, sql } of multi) {
    const keys = multiEntryKeys(row, path);
    for (let i = 0; i < keys.length; ) {
      const n = chunk(keys.length - i, MAX_ENTRIES_PER_STATEMENT);
      const values: SQLInputValue[] = [];
      for (let j = i; j < i + n; j++) values.push(encodeKey(keys[j]!), key);
      prepare(sql.insert[n]!).run(...values);
      i += n;
    }
  }
}

/**
 * Drops the multiEntry index entries of the rows stored under `keys` (a
 * power of two of them up to MAX_ROWS_PER_STATEMENT; a key given twice is
 * one row), before they are rewritten or deleted, read with one lookup: the
 * entries are computed again from each row's stored JSON and deleted by their
 * whole key, so the side tables need no index on the primary key (one more
 * copy of every entry). New rows, the common put, cost a lookup that finds
 * nothing.
 */
function dropStoredEntries(context: TxContext, layout: TableLayout, keys: readonly Uint8Array[]): void {
  for (const { k, v } of context.prepare(layout.sql.lookup[keys.length]!).all(...keys))
    dropEntriesOf(context, layout, k as Uint8Array, v as string);
}

/** Deletes the multiEntry index entries of `stored`, the JSON of the row under `key`, several to a DELETE. */
function dropEntriesOf(
  { prepare }: Pick<TxContext, 'prepare'>,
  layout: TableLayout,
  key: Uint8Array,
  stored: string,
): void {
  const row = decodeRow(stored);
  for (const { path, sql } of layout.multi) {
    const keys = multiEntryKeys(row, path);
    for (let i = 0; i < keys.length; ) {
      const n = chunk(keys.length - i, MAX_ENTRIES_PER_STATEMENT);
      const values: SQLInputValue[] = [key];
      for (let j = i; j < i + n; j++) values.push(encodeKey(keys[j]!));
      prepare(sql.delete[n]!).run(...values);
      i += n;
    }
  }
}

/** How many of `remaining` the next statement takes: a power of two up to `max`, so few are cached. */
const chunk = (remaining: number, max: number) => Math.min(max, 1 << (31 - Math.clz32(remaining)));

/** The columns of a row in the layout's insert order: its key, its JSON, each index's key (NULL without one). */
function pushColumns(values: SQLInputValue[], layout: TableLayout, key: Uint8Array, row: Row): void {
  values.push(key, encodeRow(row));
  for (const { path } of layout.columns) {
    const indexKey = keyAtPath(row, path);
    values.push(indexKey === undefined ? null : encodeKey(indexKey));
  }
}

function generateKey(prepare: TxContext['prepare'], name: string): number {
  const next = prepare(
    'INSERT INTO _key_generator (tbl, last) VALUES (?, 1) ' +
      'ON CONFLICT (tbl) DO UPDATE SET last = last + 1 RETURNING last',
  ).get(name);
  const key = Number(next!.last);
  if (key > MAX_GENERATED_KEY)
    throw new StorageError('ConstraintError', `key generator of ${name} is exhausted`);
  return key;
}

/** A copy of row with value at a dotted path, creating objects along the way as IndexedDB does. */
function withValueAt(row: Row, path: string, value: Key): Row {
  const [step, ...rest] = path.split('.');
  const inner = row[step!];
  const child = inner !== null && typeof inner === 'object' ? (inner as Row) : {};
  return { ...row, [step!]: rest.length === 0 ? value : withValueAt(child, rest.join('.'), value) };
}
