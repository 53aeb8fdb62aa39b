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
// (sqlite-tx.ts dropEntries), so no index on `k` doubles the entries.

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
        const layout = { path: path as string, entries: sqlEntries(name, index) };
        indexes.set(index, layout);
        multi.push(layout);
      } else {
        const layout = { path, column: sqlColumn(index) };
        indexes.set(index, layout);
        columns.push(layout);
      }
    }
    layouts.set(name, { spec, table: sqlTable(name), indexes, columns, multi });
  }
  return layouts;
}
