// A port Query as SQL over a table layout: the WHERE clause on the key or
// index column (or a multiEntry index's side table, joined to the rows), its
// parameters (encoded keys), the order and the limit.

import type { SQLInputValue } from 'node:sqlite';
import { type Key, type Query, StorageError } from '../../core/storage.ts';
import { encodeKey } from './key-codec.ts';
import type { TableLayout } from './sqlite-layout.ts';

export interface SqlQuery {
  /** `FROM <table> WHERE ...`, shared by select and delete. */
  readonly from: string;
  /** `FROM ... WHERE ...` for a count: a multiEntry index's side table alone. */
  readonly countFrom: string;
  /** The row's JSON column and primary key column under `from`. */
  readonly value: string;
  readonly key: string;
  /** `ORDER BY ... [LIMIT ?]`; the limit is the last parameter. */
  readonly order: string;
  readonly limited: boolean;
  readonly params: SQLInputValue[];
}

export function sqlQuery(name: string, layout: TableLayout, query: Query = {}): SqlQuery {
  const index = query.index === undefined ? undefined : layout.indexes.get(query.index);
  if (query.index !== undefined && !index)
    throw new StorageError('NotFoundError', `no index ${query.index} on table ${name}`);
  const entries = index?.entries;
  const column = entries ? 'e.ik' : (index?.column ?? 'k');
  const key = entries ? 'e.k' : 'k';
  const params: SQLInputValue[] = [];
  const bound = (key: Key) => {
    params.push(encodeKey(key));
    return '?';
  };
  const where: string[] = index && !entries ? [`${column} IS NOT NULL`] : [];
  if (query.equals !== undefined) {
    if (query.range) throw new StorageError('DataError', 'a query takes equals or range, not both');
    where.push(`${column} = ${bound(query.equals)}`);
  }
  const range = query.range ?? {};
  if (range.lower !== undefined)
    where.push(`${column} ${range.lowerOpen ? '>' : '>='} ${bound(range.lower)}`);
  if (range.upper !== undefined)
    where.push(`${column} ${range.upperOpen ? '<' : '<='} ${bound(range.upper)}`);
  const direction = query.reverse ? 'DESC' : 'ASC';
  const order = column === 'k' ? `k ${direction}` : `${column} ${direction}, ${key} ${direction}`;
  const limited = query.limit !== undefined;
  if (limited) params.push(Math.max(0, Math.floor(query.limit!)));
  const clause = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
  return {
    from: entries
      ? `FROM ${entries} AS e JOIN ${layout.table} AS t ON t.k = e.k${clause}`
      : `FROM ${layout.table}${clause}`,
    countFrom: entries ? `FROM ${entries} AS e${clause}` : `FROM ${layout.table}${clause}`,
    value: entries ? 't.v' : 'v',
    key,
    order: `ORDER BY ${order}${limited ? ' LIMIT ?' : ''}`,
    limited,
    params,
  };
}
