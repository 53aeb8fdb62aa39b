// How a port table lies in SQLite: table "t_<name>" with the encoded primary
// key `k`, the row as JSON text `v`, and one column "i_<index>" per index with
// that index's encoded key (NULL when the row has none, as IndexedDB leaves
// such rows out). Each index is a partial SQL index on (column, k), so rows
// with equal index keys come out in primary key order.
//
// A multiEntry index (a row under each key of an array) cannot be a column:
// it is a side table "e.<table>.<index>" of (index key `ik`, primary key `k`)
// pairs, keyed by both (so entries come out in index key, then primary key
// order), rewritten with the row in the same transaction: a row's old
// entries are computed from its stored JSON and deleted by their whole key
// (sqlite-tx.ts dropEntriesOf), so no index on `k` doubles the entries.
//
// The SQL text run for each row or entry is built here, once per layout
// (the connection's prepare caches statements by text).

import { indexPath, type SchemaVersion, type TableSpec } from '../../core/storage.ts';

/** An index in the table's own column. */
export interface ColumnIndex {
  readonly path: string | readonly string[];
  /** Quoted column name. */
  readonly column: string;
  readonly entries?: undefined;
}

/** A multiEntry index, in its side table of entries. */
export interface EntriesIndex {
  readonly path: string;
  /** Quoted side table name. */
  readonly entries: string;
  readonly column?: undefined;
  readonly sql: {
    /** By n (a power of two up to MAX_ENTRIES_PER_STATEMENT), the INSERT of n (ik, k) pairs. */
    readonly insert: readonly string[];
    /** By n, the DELETE of n of one row's entries: its key, then n index keys. */
    readonly delete: readonly string[];
  };
}

export type IndexLayout = ColumnIndex | EntriesIndex;

export interface TableLayout {
  readonly spec: TableSpec;
  /** Quoted table name. */
  readonly table: string;
  readonly indexes: ReadonlyMap<string, IndexLayout>;
  /** The column indexes (in the table's own columns, in insert order). */
  readonly columns: readonly ColumnIndex[];
  /** The multiEntry indexes, with their side tables. */
  readonly multi: readonly EntriesIndex[];
  readonly sql: {
    /** A row's JSON by its key. */
    readonly get: string;
    /** A row by its key. */
    readonly delete: string;
    /** By n (a power of two up to MAX_ROWS_PER_STATEMENT), the INSERT OR REPLACE of n rows' columns. */
    readonly insert: readonly string[];
    /** The INSERT OR IGNORE of one row's columns: it writes only a key not held yet. */
    readonly insertNew: string;
    /** By n, the keys and JSON of the rows under n keys. */
    readonly lookup: readonly string[];
  };
}

/** Rows a statement takes at most (sqlite-tx.ts takes 32, 16, ... 1, so a table has six texts of each). */
export const MAX_ROWS_PER_STATEMENT = 32;
/** Index entries a statement takes at most (two parameters each in an INSERT). */
export const MAX_ENTRIES_PER_STATEMENT = 64;

/** Texts for n = 1, 2, 4, ... max, each at index n. */
function bySize(max: number, build: (marks: (mark: string) => string) => string): string[] {
  const texts: string[] = [];
  for (let n = 1; n <= max; n *= 2) texts[n] = build((mark) => Array(n).fill(mark).join(', '));
  return texts;
}

/** Identifiers are checked by checkVersions ([A-Za-z0-9_]); quoting keeps them clear of SQL keywords. */
export const sqlTable = (name: string) => `"t_${name}"`;
export const sqlColumn = (index: string) => `"i_${index}"`;
/** Dots cannot occur in names, so "table.index" cannot collide for different pairs. */
export const sqlIndex = (table: string, index: string) => `"x.${table}.${index}"`;
export const sqlEntries = (table: string, index: string) => `"e.${table}.${index}"`;

export function tableLayouts(version: SchemaVersion): Map<string, TableLayout> {
  const layouts = new Map<string, TableLayout>();
  for (const [name, spec] of Object.entries(version.tables)) {
    const indexes = new Map<string, IndexLayout>();
    const columns: ColumnIndex[] = [];
    const multi: EntriesIndex[] = [];
    for (const [index, given] of Object.entries(spec.indexes ?? {})) {
      const { path, multiEntry } = indexPath(given);
      if (multiEntry) {
        const entries = sqlEntries(name, index);
        const sql = {
          insert: bySize(
            MAX_ENTRIES_PER_STATEMENT,
            (marks) => `INSERT INTO ${entries} (ik, k) VALUES ${marks('(?, ?)')}`,
          ),
          delete: bySize(
            MAX_ENTRIES_PER_STATEMENT,
            (marks) => `DELETE FROM ${entries} WHERE k = ? AND ik IN (${marks('?')})`,
          ),
        };
        const layout = { path: path as string, entries, sql };
        indexes.set(index, layout);
        multi.push(layout);
      } else {
        const layout = { path, column: sqlColumn(index) };
        indexes.set(index, layout);
        columns.push(layout);
      }
    }
    const table = sqlTable(name);
    const names = ['k', 'v', ...columns.map(({ column }) => column)];
    const row = `(${names.map(() => '?').join(', ')})`;
    const sql = {
      get: `SELECT v FROM ${table} WHERE k = ?`,
      delete: `DELETE FROM ${table} WHERE k = ?`,
      insert: bySize(
        MAX_ROWS_PER_STATEMENT,
        (marks) => `INSERT OR REPLACE INTO ${table} (${names.join(', ')}) VALUES ${marks(row)}`,
      ),
      insertNew: `INSERT OR IGNORE INTO ${table} (${names.join(', ')}) VALUES ${row}`,
      lookup: bySize(
        MAX_ROWS_PER_STATEMENT,
        (marks) => `SELECT k, v FROM ${table} WHERE k IN (${marks('?')})`,
      ),
    };
    layouts.set(name, { spec, table, indexes, columns, multi, sql });
  }
  return layouts;
}
