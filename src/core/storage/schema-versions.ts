// Checks an append-only list of schema versions before any store applies it.
// Both IndexedDB and our SQLite layout can add and drop tables and indexes in
// an upgrade, but neither can change a table's primary key in place, so a
// table keeps its key path and auto-increment flag across all versions.

import { StorageError } from './errors.ts';
import { indexPath } from './key-path.ts';
import type { SchemaVersion, TableSpec } from './port.ts';

/** Table, index and key path names: identifiers, dots only between steps of a key path. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

const invalid = (message: string) => new StorageError('VersionError', message);

export function checkVersions(versions: readonly SchemaVersion[]): void {
  if (versions.length === 0) throw invalid('no schema versions');
  const keys = new Map<string, string>();
  let previous = 0;
  for (const { version, tables } of versions) {
    if (!Number.isSafeInteger(version) || version <= previous) {
      throw invalid(`schema versions must be increasing positive integers, got ${version} after ${previous}`);
    }
    previous = version;
    for (const [name, spec] of Object.entries(tables)) {
      checkTable(name, spec);
      const key = JSON.stringify([spec.key, spec.autoIncrement === true]);
      if (keys.has(name) && keys.get(name) !== key) {
        throw invalid(`table ${name} changes its primary key in version ${version}`);
      }
      keys.set(name, key);
    }
  }
}

function checkTable(name: string, spec: TableSpec): void {
  if (!NAME.test(name)) throw invalid(`bad table name ${JSON.stringify(name)}`);
  checkPath(name, spec.key);
  if (spec.autoIncrement && typeof spec.key !== 'string') {
    throw invalid(`table ${name}: auto-increment needs a single key path`);
  }
  for (const [index, given] of Object.entries(spec.indexes ?? {})) {
    if (!NAME.test(index)) throw invalid(`table ${name}: bad index name ${JSON.stringify(index)}`);
    const { path, multiEntry } = indexPath(given);
    // IndexedDB refuses a multiEntry index over a compound path (§4.7 createIndex, InvalidAccessError).
    if (multiEntry && typeof path !== 'string')
      throw invalid(`table ${name}: multiEntry index ${index} needs a single key path`);
    checkPath(name, path);
  }
}

function checkPath(table: string, path: string | readonly string[]): void {
  // A compound path of one step would make one-element array keys; say the path as a string instead.
  const steps = typeof path === 'string' ? [path] : path;
  if ((typeof path !== 'string' && steps.length < 2) || !steps.every((step) => PATH.test(step))) {
    throw invalid(`table ${table}: bad key path ${JSON.stringify(path)}`);
  }
}
