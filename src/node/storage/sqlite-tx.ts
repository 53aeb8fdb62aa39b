// The port's transaction over one node:sqlite connection, inside a
// BEGIN...COMMIT that sqlite-store.ts opens. Every operation is synchronous
// underneath; it checks that the transaction is still open and the table is in
// its scope, as IndexedDB does.

import type { DatabaseSync, StatementSync } from 'node:sqlite';
import {
  isValidKey,
  type Key,
  keyAtPath,
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
      const rows = prepare(`SELECT v ${sql.from} ${sql.order}`).all(...sql.params);
      return rows.map((row) => decodeRow(row.v as string) as T);
    },
    count: async (name, query) => {
      const sql = select(name, query);
      const text = sql.limited
        ? `SELECT count(*) AS n FROM (SELECT 1 ${sql.from} ${sql.order})`
        : `SELECT count(*) AS n ${sql.from}`;
      return Number(prepare(text).get(...sql.params)!.n);
    },
    put: async (name, row) => put(context, layout(name), name, row),
    putAll: async (name, rows) => {
      const found = layout(name);
      if (found.spec.autoIncrement)
        throw new StorageError('DataError', `putAll into ${name}, an auto-increment table`);
      for (const row of rows) put(context, found, name, row);
    },
    delete: async (name, key) => {
      prepare(`DELETE FROM ${layout(name).table} WHERE k = ?`).run(encodeKey(key));
    },
    deleteWhere: async (name, query) => {
      const sql = select(name, query);
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
        'INSERT INTO _key_generator (tbl, last) VALUES (?, ?) ON CONFLICT (tbl) DO UPDATE SET last = max(last, excluded.last)',
      ).run(name, last);
    }
  }
  if (key === undefined)
    throw new StorageError('DataError', `row has no valid key at ${JSON.stringify(path)}`);
  const indexKeys: (Uint8Array | null)[] = [];
  for (const { path } of layout.indexes.values()) {
    const indexKey = keyAtPath(stored, path);
    indexKeys.push(indexKey === undefined ? null : encodeKey(indexKey));
  }
  prepare(insertSql(layout)).run(encodeKey(key), encodeRow(stored), ...indexKeys);
  return key;
}

const inserts = new WeakMap<TableLayout, string>();

function insertSql(layout: TableLayout): string {
  let sql = inserts.get(layout);
  if (!sql) {
    const columns = ['k', 'v', ...[...layout.indexes.values()].map(({ column }) => column)];
    sql = `INSERT OR REPLACE INTO ${layout.table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
    inserts.set(layout, sql);
  }
  return sql;
}

function generateKey(prepare: TxContext['prepare'], name: string): number {
  const next = prepare(
    'INSERT INTO _key_generator (tbl, last) VALUES (?, 1) ON CONFLICT (tbl) DO UPDATE SET last = last + 1 RETURNING last',
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
