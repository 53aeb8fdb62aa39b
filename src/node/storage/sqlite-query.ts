// A port Query as SQL over a table layout: the WHERE clause on the key or
// index column, its parameters (encoded keys), the order and the limit.

import type { SQLInputValue } from 'node:sqlite';
import { type Key, type Query, StorageError } from '../../core/storage.ts';
import { encodeKey } from './key-codec.ts';
import type { TableLayout } from './sqlite-layout.ts';

export interface SqlQuery {
  /** `FROM <table> WHERE ...`, shared by select, count and delete. */
  readonly from: string;
  /** `ORDER BY ... [LIMIT ?]`; the limit is the last parameter. */
  readonly order: string;
  readonly limited: boolean;
  readonly params: SQLInputValue[];
}

export function sqlQuery(name: string, layout: TableLayout, query: Query = {}): SqlQuery {
  const column = keyColumn(name, layout, query.index);
  const params: SQLInputValue[] = [];
  const bound = (key: Key) => {
    params.push(encodeKey(key));
    return '?';
  };
  const where: string[] = column === 'k' ? [] : [`${column} IS NOT NULL`];
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
  const order = column === 'k' ? `k ${direction}` : `${column} ${direction}, k ${direction}`;
  const limited = query.limit !== undefined;
  if (limited) params.push(Math.max(0, Math.floor(query.limit!)));
  return {
    from: `FROM ${layout.table}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}`,
    order: `ORDER BY ${order}${limited ? ' LIMIT ?' : ''}`,
    limited,
    params,
  };
}

function keyColumn(name: string, layout: TableLayout, index?: string): string {
  if (index === undefined) return 'k';
  const column = layout.indexes.get(index)?.column;
  if (!column) throw new StorageError('NotFoundError', `no index ${index} on table ${name}`);
  return column;
}
