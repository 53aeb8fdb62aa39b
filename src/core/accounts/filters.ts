// Sync filters (spec: "Filtering"). Bodies are checked with the sync module's
// parser, the one that reads them back, so every stored filter can be used.
import type { ReadTx, WriteTx } from '../storage/port.ts';
import { parseFilter } from '../events/filter.ts';
import { type FilterRow, filtersTable } from './tables.ts';

/** Stores a filter (400 M_BAD_JSON when malformed) and returns its id: the user's filters count up from 0. */
export async function createFilter(
  tx: WriteTx,
  userId: string,
  filter: Record<string, unknown>,
): Promise<string> {
  parseFilter(filter);
  const filterId = String(await filtersTable.count(tx, { index: 'user', equals: userId }));
  const row: FilterRow = { user_id: userId, filter_id: filterId, filter };
  await filtersTable.put(tx, row);
  return filterId;
}

/** The filter as the client uploaded it, or undefined. */
export async function getFilter(
  tx: ReadTx,
  userId: string,
  filterId: string,
): Promise<Record<string, unknown> | undefined> {
  return (await filtersTable.get(tx, [userId, filterId]))?.filter;
}
