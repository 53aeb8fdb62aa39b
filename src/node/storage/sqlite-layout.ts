// How a port table lies in SQLite: table "t_<name>" with the encoded primary
// key `k`, the row as JSON text `v`, and one column "i_<index>" per index with
// that index's encoded key (NULL when the row has none, as IndexedDB leaves
// such rows out). Each index is a partial SQL index on (column, k), so rows
// with equal index keys come out in primary key order.

import type { SchemaVersion, TableSpec } from '../../core/storage.ts';

export interface IndexLayout {
  readonly path: string | readonly string[];
  /** Quoted column name. */
  readonly column: string;
}

export interface TableLayout {
  readonly spec: TableSpec;
  /** Quoted table name. */
  readonly table: string;
  readonly indexes: ReadonlyMap<string, IndexLayout>;
}

/** Identifiers are checked by checkVersions ([A-Za-z0-9_]); quoting keeps them clear of SQL keywords. */
export const sqlTable = (name: string) => `"t_${name}"`;
export const sqlColumn = (index: string) => `"i_${index}"`;
/** Dots cannot occur in names, so "table.index" cannot collide for different pairs. */
export const sqlIndex = (table: string, index: string) => `"x.${table}.${index}"`;

export function tableLayouts(version: SchemaVersion): Map<string, TableLayout> {
  const layouts = new Map<string, TableLayout>();
  for (const [name, spec] of Object.entries(version.tables)) {
    const indexes = new Map<string, IndexLayout>();
    for (const [index, path] of Object.entries(spec.indexes ?? {})) {
      indexes.set(index, { path, column: sqlColumn(index) });
    }
    layouts.set(name, { spec, table: sqlTable(name), indexes });
  }
  return layouts;
}
