// A query's answer brought up to date with a committed write's rows, for the
// row cache (row-cache.ts): a table written at every message (a room's
// forward extremities) would otherwise lose its answers at every commit, and
// the next write would ask IndexedDB again, a round trip to the browser's
// storage process on the path of every message (issue 13).
//
// The new answer is what the store would answer after the write: the rows
// kept minus those of the keys the write changed, plus the rows it wrote that
// the query matches, in the store's order (index key, then primary key;
// reversed whole for `reverse`, as the stores do: Dexie's getAll reversed,
// SQLite's ORDER BY … DESC), cut at `limit`. That needs the whole set of
// rows the query matches before the write: an answer as long as its limit
// may have been cut, and is given up. So are answers over multiEntry indexes
// (a row there comes once per matching entry) and keys this does not compare
// (dates, binary).

import { compareKeys, indexPath, keyAtPath, keyId } from './key-path.ts';
import type { Key, Query, Row, TableSpec } from './port.ts';

/**
 * `rows` (what `query` answered before the write, in order) after the write
 * left each key of `changes` (by keyId) with a row or, for `absent`, none;
 * undefined when it cannot be told (see the header).
 */
export function updatedAnswer(
  rows: readonly Row[],
  query: Query,
  spec: TableSpec,
  changes: ReadonlyMap<string, Row>,
  absent: Row,
): Row[] | undefined {
  if (query.limit !== undefined && rows.length >= query.limit) return undefined;
  let path = spec.key;
  if (query.index !== undefined) {
    const index = spec.indexes?.[query.index];
    if (index === undefined) return undefined;
    const { path: at, multiEntry } = indexPath(index);
    if (multiEntry) return undefined;
    path = at;
  }
  try {
    const entries: { row: Row; key: Key; primary: Key }[] = [];
    for (const row of rows) {
      const primary = keyAtPath(row, spec.key);
      const key = keyAtPath(row, path);
      if (primary === undefined || key === undefined) return undefined;
      if (!changes.has(keyId(primary))) entries.push({ row, key, primary });
    }
    for (const row of changes.values()) {
      if (row === absent) continue;
      const primary = keyAtPath(row, spec.key);
      const key = keyAtPath(row, path);
      if (primary === undefined) return undefined;
      if (key !== undefined && matches(key, query)) entries.push({ row, key, primary });
    }
    const sign = query.reverse ? -1 : 1;
    entries.sort((a, b) => sign * (compareKeys(a.key, b.key) || compareKeys(a.primary, b.primary)));
    const answer = entries.map(({ row }) => row);
    return query.limit === undefined ? answer : answer.slice(0, query.limit);
  } catch {
    // A key this does not compare (compareKeys): the store is asked again.
    return undefined;
  }
}

/** Whether `key` lies in the query's `equals` or `range` (W3C IndexedDB 3.0, §2.9 "in a key range"). */
function matches(key: Key, query: Query): boolean {
  if (query.equals !== undefined) return compareKeys(key, query.equals) === 0;
  const range = query.range;
  if (!range) return true;
  if (range.lower !== undefined) {
    const order = compareKeys(key, range.lower);
    if (order < 0 || (order === 0 && range.lowerOpen)) return false;
  }
  if (range.upper !== undefined) {
    const order = compareKeys(key, range.upper);
    if (order > 0 || (order === 0 && range.upperOpen)) return false;
  }
  return true;
}
