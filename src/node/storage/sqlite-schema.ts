// Brings a SQLite database from its stored schema version (PRAGMA user_version)
// to the highest of an append-only list, in one transaction:
//
// 1. Refuse a database newer than the list, or at a version the list lacks.
// 2. Drop the tables the current version no longer has.
// 3. Create the new tables; on kept tables drop the indexes that went away or
//    changed path (or multiEntry flag), add the new ones, and fill them from
//    the existing rows (a multiEntry index: its side table of entries).
// 4. Record the new version.

import type { DatabaseSync } from 'node:sqlite';
import { keyAtPath, type SchemaVersion, StorageError } from '../../core/storage.ts';
import { encodeKey } from './key-codec.ts';
import { decodeRow } from './row-codec.ts';
import { type IndexLayout, sqlIndex, sqlTable, type TableLayout, tableLayouts } from './sqlite-layout.ts';
import { putEntries, type TxContext } from './sqlite-tx.ts';

const BACKFILL_BATCH = 500;

/** `prepare` is the connection's statement cache (TxContext), which the entries of new multiEntry indexes are written through. */
export function migrate(
  db: DatabaseSync,
  versions: readonly SchemaVersion[],
  prepare: TxContext['prepare'],
): Map<string, TableLayout> {
  const current = versions[versions.length - 1]!;
  const layouts = tableLayouts(current);
  const stored = Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
  if (stored === current.version) return layouts;
  // Step 1.
  const previous = versions.find((version) => version.version === stored);
  if (stored > current.version || (stored !== 0 && !previous)) {
    throw new StorageError('VersionError', `database is at version ${stored}, not one of the known versions`);
  }
  const before = previous ? tableLayouts(previous) : new Map<string, TableLayout>();
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec('CREATE TABLE IF NOT EXISTS _key_generator (tbl TEXT PRIMARY KEY, last INTEGER NOT NULL)');
    dropTables(db, before, layouts);
    for (const [name, layout] of layouts) upgradeTable(db, prepare, name, layout, before.get(name));
    // Step 4.
    db.exec(`PRAGMA user_version = ${current.version}`);
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
  return layouts;
}

/** Step 2. */
function dropTables(
  db: DatabaseSync,
  before: Map<string, TableLayout>,
  after: Map<string, TableLayout>,
): void {
  for (const [name, layout] of before) {
    if (after.has(name)) continue;
    db.exec(`DROP TABLE ${sqlTable(name)}`);
    for (const { entries } of layout.multi) db.exec(`DROP TABLE ${entries}`);
    db.prepare('DELETE FROM _key_generator WHERE tbl = ?').run(name);
  }
}

/** Step 3. */
function upgradeTable(
  db: DatabaseSync,
  prepare: TxContext['prepare'],
  name: string,
  layout: TableLayout,
  before?: TableLayout,
): void {
  if (!before) db.exec(`CREATE TABLE ${layout.table} (k BLOB PRIMARY KEY NOT NULL, v TEXT NOT NULL)`);
  const sameIndex = (index: string) => {
    const old = before?.indexes.get(index);
    const now = layout.indexes.get(index);
    return JSON.stringify([old?.path, old?.entries]) === JSON.stringify([now?.path, now?.entries]);
  };
  for (const [index, old] of before?.indexes ?? []) {
    if (sameIndex(index)) continue;
    if (old.entries) {
      db.exec(`DROP TABLE ${old.entries}`);
    } else {
      db.exec(`DROP INDEX ${sqlIndex(name, index)}`);
      db.exec(`ALTER TABLE ${layout.table} DROP COLUMN ${old.column}`);
    }
  }
  const added = [...layout.indexes].filter(([index]) => !before?.indexes.has(index) || !sameIndex(index));
  for (const [index, { column, entries }] of added) {
    if (entries) {
      db.exec(
        `CREATE TABLE ${entries} (ik BLOB NOT NULL, k BLOB NOT NULL, PRIMARY KEY (ik, k)) WITHOUT ROWID`,
      );
      continue;
    }
    db.exec(`ALTER TABLE ${layout.table} ADD COLUMN ${column} BLOB`);
    db.exec(
      `CREATE INDEX ${sqlIndex(name, index)} ON ${layout.table} (${column}, k) WHERE ${column} IS NOT NULL`,
    );
  }
  if (before && added.length > 0) {
    const isAdded = new Set(added.map(([, index]) => index));
    backfill(db, prepare, {
      table: layout.table,
      columns: layout.columns.filter((index) => isAdded.has(index)),
      multi: layout.multi.filter((index) => isAdded.has(index)),
    });
  }
}

/**
 * Computes new index columns (and entries) for rows written before the index
 * existed, a batch at a time. Only rows whose JSON names every step of an
 * index's path are decoded (`mayHaveKey`): the others keep the NULL column
 * and no entries, so an index over a field no row has yet (version 11's
 * `search` on the events) costs a scan of the text, not a JSON.parse a row.
 * The entries go in as a put writes them (their side tables are new).
 */
function backfill(
  db: DatabaseSync,
  prepare: TxContext['prepare'],
  added: Pick<TableLayout, 'table' | 'columns' | 'multi'>,
): void {
  const { table, columns, multi } = added;
  const mayHave = [...columns, ...multi].map(mayHaveKey).join(' OR ');
  const select = db.prepare(
    `SELECT rowid AS id, k, v FROM ${table} WHERE rowid > ? AND (${mayHave}) ORDER BY rowid LIMIT ?`,
  );
  const update =
    columns.length > 0
      ? db.prepare(`UPDATE ${table} SET ${columns.map((i) => `${i.column} = ?`).join(', ')} WHERE rowid = ?`)
      : undefined;
  let after = 0;
  for (;;) {
    const rows = select.all(after, BACKFILL_BATCH) as { id: number; k: Uint8Array; v: string }[];
    for (const { id, k, v } of rows) {
      const row = decodeRow(v);
      const keys = columns.map(({ path }) => {
        const key = keyAtPath(row, path);
        return key === undefined ? null : encodeKey(key);
      });
      update?.run(...keys, id);
      putEntries({ prepare }, multi, k, row);
      after = id;
    }
    if (rows.length < BACKFILL_BATCH) return;
  }
}

/**
 * A condition true of every row that has a key at the index's path: its JSON
 * text holds each step's name as a member name ("step"). Names are
 * identifiers (schema-versions.ts), which JSON.stringify writes as they are
 * (row-codec.ts tags only names starting with U+0001), so no row with a key
 * is left out; a row naming them elsewhere (a string "step") is decoded and
 * found to have none.
 */
function mayHaveKey({ path }: IndexLayout): string {
  const steps = new Set((typeof path === 'string' ? [path] : path).flatMap((p) => p.split('.')));
  return [...steps].map((step) => `instr(v, '"${step}"') > 0`).join(' AND ');
}
