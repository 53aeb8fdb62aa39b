// The port's transaction over one node:sqlite connection, inside a
// BEGIN...COMMIT that sqlite-store.ts opens. Every operation is synchronous
// underneath; it checks that the transaction is still open and the table is in
// its scope, as IndexedDB does.

import { Buffer } from 'node:buffer';
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import {
  isValidKey,
  type Key,
  keyAtPath,
  multiEntryKeys,
  type Query,
  type Row,
  StorageError,
  valueAtPath,
  type WriteTx,
} from '../../core/storage.ts';
import { encodeKey } from './key-codec.ts';
import { decodeRow, encodeRow } from './row-codec.ts';
import type { TableLayout } from './sqlite-layout.ts';
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
  const select = (name: string, query: Query | undefined) => sqlQuery(name, layout(name), query);
  return {
    get: async <T extends Row>(name: string, key: Key) => {
      const found = prepare(`SELECT v FROM ${layout(name).table} WHERE k = ?`).get(encodeKey(key));
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
    putAll: async (name, rows) => {
      const found = layout(name);
      if (found.spec.autoIncrement)
        throw new StorageError('DataError', `putAll into ${name}, an auto-increment table`);
      putMany(context, found, rows);
    },
    delete: async (name, key) => {
      const found = layout(name);
      const encoded = encodeKey(key);
      dropEntries(context, found, encoded);
      prepare(`DELETE FROM ${found.table} WHERE k = ?`).run(encoded);
    },
    deleteWhere: async (name, query) => {
      const found = layout(name);
      const sql = select(name, query);
      if (found.multi.length > 0) {
        // The rows' entries go with them: delete row by row, each key once.
        const keys = prepare(`SELECT ${sql.key} AS k ${sql.from} ${sql.order}`).all(...sql.params);
        const unique = new Map(keys.map(({ k }) => [Buffer.from(k as Uint8Array).toString('hex'), k]));
        for (const k of unique.values()) {
          dropEntries(context, found, k as Uint8Array);
          prepare(`DELETE FROM ${found.table} WHERE k = ?`).run(k as Uint8Array);
        }
        return unique.size;
      }
      const text = sql.limited
        ? `DELETE FROM ${layout(name).table} WHERE rowid IN (SELECT rowid ${sql.from} ${sql.order})`
        : `DELETE ${sql.from}`;
      return Number(prepare(text).run(...sql.params).changes);
    },
  };
}

function put({ prepare }: TxContext, layout: TableLayout, name: string, row: Row): Key {
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
  const values: SQLInputValue[] = [];
  pushColumns(values, layout, key, stored);
  const multi = layout.multi.length > 0;
  if (multi) dropEntries({ prepare }, layout, values[0] as Uint8Array);
  prepare(insertSql(layout, 1)).run(...values);
  if (multi) putEntries({ prepare }, layout, values[0] as Uint8Array, stored);
  return key;
}

/** A row's multiEntry index entries (those of the row it replaces were dropped first: dropEntries). */
function putEntries(
  context: Pick<TxContext, 'prepare'>,
  layout: TableLayout,
  key: Uint8Array,
  row: Row,
): void {
  for (const { path, entries } of layout.multi) {
    const keys = multiEntryKeys(row, path);
    for (let i = 0; i < keys.length; ) {
      const n = chunk(keys.length - i, MAX_ENTRIES_PER_INSERT);
      const values: SQLInputValue[] = [];
      for (const entry of keys.slice(i, i + n)) values.push(encodeKey(entry), key);
      context.prepare(entriesInsertSql(entries, n)).run(...values);
      i += n;
    }
  }
}

/**
 * Drops the multiEntry index entries of the row stored under `key`, if any,
 * before it is rewritten or deleted: its entries are computed again from
 * its stored JSON and deleted by their whole key, so the side tables need
 * no index on the primary key (one more copy of every entry). A new row,
 * the common put, costs one lookup that finds nothing.
 */
function dropEntries({ prepare }: Pick<TxContext, 'prepare'>, layout: TableLayout, key: Uint8Array): void {
  if (layout.multi.length === 0) return;
  const old = prepare(`SELECT v FROM ${layout.table} WHERE k = ?`).get(key);
  if (old) dropEntriesOf({ prepare }, layout, key, old.v as string);
}

/** Deletes the multiEntry index entries of `stored`, the JSON of the row under `key`. */
function dropEntriesOf(
  { prepare }: Pick<TxContext, 'prepare'>,
  layout: TableLayout,
  key: Uint8Array,
  stored: string,
): void {
  const row = decodeRow(stored);
  for (const { path, entries } of layout.multi) {
    const drop = prepare(`DELETE FROM ${entries} WHERE ik = ? AND k = ?`);
    for (const entry of multiEntryKeys(row, path)) drop.run(encodeKey(entry), key);
  }
}

/**
 * Rows of one table without a key generator, several to an INSERT (one
 * statement run costs about as much as a row; measured on 30,000 rows of a
 * key and 200 bytes of JSON: 2.2 µs a row one to a statement, 1.2-1.3 µs
 * thirty to one). The statements take 32, 16, ... 1 rows, so that a table
 * has at most six of them cached; rows are written in order, so a key given
 * twice keeps its last row, as a put after a put does. With multiEntry
 * indexes, each statement's rows that replace stored ones are read with one
 * lookup (their entries dropped), and the new entries go several to an
 * INSERT too.
 */
function putMany(context: TxContext, layout: TableLayout, rows: readonly Row[]): void {
  const { prepare } = context;
  for (let i = 0; i < rows.length; ) {
    const n = chunk(rows.length - i, MAX_ROWS_PER_INSERT);
    const batch = rows.slice(i, i + n);
    const values: SQLInputValue[] = [];
    for (const row of batch) {
      const key = keyAtPath(row, layout.spec.key);
      if (key === undefined)
        throw new StorageError('DataError', `row has no valid key at ${JSON.stringify(layout.spec.key)}`);
      pushColumns(values, layout, key, row);
    }
    const keys = batch.map((_, j) => values[j * (2 + layout.columns.length)] as Uint8Array);
    if (layout.multi.length > 0) dropStoredEntries(context, layout, keys);
    prepare(insertSql(layout, n)).run(...values);
    if (layout.multi.length > 0) {
      // A key given twice in the batch keeps its last row, and that row's entries only.
      const last = new Map(keys.map((key, j) => [Buffer.from(key).toString('hex'), j]));
      for (const j of last.values()) putEntries(context, layout, keys[j]!, batch[j]!);
    }
    i += n;
  }
}

/**
 * Drops the multiEntry index entries of the rows stored under `keys` (at
 * most MAX_ROWS_PER_INSERT), read with one lookup (dropEntries reads one).
 */
function dropStoredEntries(context: TxContext, layout: TableLayout, keys: readonly Uint8Array[]): void {
  const unique = [...new Map(keys.map((key) => [Buffer.from(key).toString('hex'), key])).values()];
  const sql = cachedSql(`${layout.table} lookup ${unique.length}`, () => {
    const marks = Array(unique.length).fill('?').join(', ');
    return `SELECT k, v FROM ${layout.table} WHERE k IN (${marks})`;
  });
  for (const { k, v } of context.prepare(sql).all(...unique))
    dropEntriesOf(context, layout, k as Uint8Array, v as string);
}

const MAX_ROWS_PER_INSERT = 32;
/** Index entries are two parameters each. */
const MAX_ENTRIES_PER_INSERT = 64;

/** How many of `remaining` the next statement takes: a power of two up to `max`, so few are cached. */
const chunk = (remaining: number, max: number) => Math.min(max, 1 << (31 - Math.clz32(remaining)));

/** SQL text built once per shape (the connection's prepare caches statements by text). */
const sqlTexts = new Map<string, string>();

function cachedSql(shape: string, build: () => string): string {
  let sql = sqlTexts.get(shape);
  if (sql === undefined) {
    sql = build();
    sqlTexts.set(shape, sql);
  }
  return sql;
}

/** The INSERT of n entries into a multiEntry index's side table. */
const entriesInsertSql = (entries: string, n: number) =>
  cachedSql(
    `${entries} insert ${n}`,
    () => `INSERT INTO ${entries} (ik, k) VALUES ${Array(n).fill('(?, ?)').join(', ')}`,
  );

/** The columns of a row in insertSql's order: its key, its JSON, each index's key (NULL without one). */
function pushColumns(values: SQLInputValue[], layout: TableLayout, key: Key, row: Row): void {
  values.push(encodeKey(key), encodeRow(row));
  for (const { path } of layout.columns) {
    const indexKey = keyAtPath(row, path);
    values.push(indexKey === undefined ? null : encodeKey(indexKey));
  }
}

/** By table layout, the INSERT of n rows at index n. */
const inserts = new WeakMap<TableLayout, string[]>();

function insertSql(layout: TableLayout, rows: number): string {
  let byCount = inserts.get(layout);
  if (!byCount) {
    byCount = [];
    inserts.set(layout, byCount);
  }
  let sql = byCount[rows];
  if (!sql) {
    const columns = ['k', 'v', ...layout.columns.map(({ column }) => column)];
    const row = `(${columns.map(() => '?').join(', ')})`;
    const values = Array(rows).fill(row).join(', ');
    sql = `INSERT OR REPLACE INTO ${layout.table} (${columns.join(', ')}) VALUES ${values}`;
    byCount[rows] = sql;
  }
  return sql;
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
