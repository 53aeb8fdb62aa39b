// The port's query, count and the keys deleteWhere deletes, straight on
// IndexedDB's object stores and indexes (dexie-store.ts), as get and put are:
// through Dexie's Collection each query cost the worker its promise and zone
// machinery on top of the request (about 200 ms of 5,000 received PDUs in a
// worker profile of `node bench/run.ts extension-ingest`: usePSD,
// executePromiseTask, Collection.toArray).
//
// Each query is one request where IndexedDB has one: getAll forward; getAll
// with direction 'prev' for a reversed one with a limit where the browser
// takes that option (Chromium 141+, which shipped it with getAllRecords),
// else a cursor, as Dexie walks one; count with IndexedDB's count, or at most
// `limit` keys when limited (see dexie-store.ts).
//
// A getAll's rows are handed on in an array of their own, and the request's
// result array emptied. Chromium's request keeps the result it answered, and
// keeps it through V8's scavenges until a full collection: every row read
// survived them, was moved to the old generation and waited there for a
// mark-compact. 400 getAlls of 100 rows in the worker: 47 of 56 MB survived
// scavenges, 7 MB with the array emptied; paging 100,000 events back, the
// worker's heap peaked at 33 MB, or at 78-85 MB when one mark-compact came
// while the last pages were still held and V8 raised its limit (traced).
// getAllRecords, which this used for reversed queries, keeps each record's
// value on the record's own object, which an emptied array does not release
// (48 MB survived).
import { type Key, type KeyRange, type Query, StorageError } from '../../core/storage.ts';

/** IndexedDB's request, as far as this file uses it (no DOM lib here). */
export interface IdbRequest {
  readonly result: unknown;
  readonly error: { readonly name: string; readonly message: string } | null;
  onsuccess: (() => void) | null;
  onerror: ((event: { preventDefault(): void; stopPropagation(): void }) => void) | null;
}

/** getAll's and getAllKeys' options (W3C IndexedDB 3.0, IDBGetAllOptions). */
export interface IdbGetAllOptions {
  query?: unknown;
  count?: number;
  direction: 'prev';
}

/** What an object store and an index share for reading. */
export interface IdbSource {
  getAll(rangeOrOptions?: unknown, count?: number): IdbRequest;
  getAllKeys(rangeOrOptions?: unknown, count?: number): IdbRequest;
  count(range?: unknown): IdbRequest;
  openCursor(range: unknown, direction: 'prev'): IdbRequest;
}

/** IDBCursorWithValue, as far as this file uses it. */
interface IdbCursor {
  readonly value: unknown;
  readonly primaryKey: unknown;
  continue(): void;
}

/** IDBKeyRange's static side. */
export interface IdbKeyRangeStatics {
  only(key: unknown): unknown;
  bound(lower: unknown, upper: unknown, lowerOpen: boolean, upperOpen: boolean): unknown;
  lowerBound(lower: unknown, open: boolean): unknown;
  upperBound(upper: unknown, open: boolean): unknown;
}

/** IDBFactory.cmp: orders two keys, throws a DataError for a value that is not one. */
export type KeyCompare = (a: unknown, b: unknown) => number;

/**
 * A request's outcome as a promise. A failed request rejects without
 * aborting the transaction by itself (as Dexie's own requests do): the
 * transaction aborts when the caller's function throws.
 */
export function requested<T>(request: IdbRequest): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result as T);
    request.onerror = failed(request, reject);
  });
}

/**
 * A getAll's or getAllKeys' rows, in an array of their own: the request's
 * result array is emptied, so that what the request object keeps does not
 * hold them (see the header).
 */
export async function takenRows<T>(request: IdbRequest): Promise<T[]> {
  const result = await requested<T[]>(request);
  const rows = result.slice();
  result.length = 0;
  return rows;
}

/**
 * An add's outcome: true when the row was inserted, false when its key was
 * held. The port has no unique index, so a ConstraintError is that key's
 * (W3C IndexedDB 3.0, "store a record into an object store": no-overwrite
 * finds a record): its event is canceled, which keeps the transaction from
 * aborting ("fire an error event"), as SQLite goes on after INSERT OR IGNORE.
 */
export function added(request: IdbRequest): Promise<boolean> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(true);
    request.onerror = failed(request, (error) =>
      (error as Error | null)?.name === 'ConstraintError' ? resolve(false) : reject(error),
    );
  });
}

/** A request's error handler: the error rejects, and goes no further (no abort by itself). */
export function failed(request: IdbRequest, reject: (error: unknown) => void): IdbRequest['onerror'] {
  return (event) => {
    event.stopPropagation();
    event.preventDefault();
    reject(request.error);
  };
}

/** How many rows `query` selects from `source`. */
export async function countRows(
  source: IdbSource,
  query: Query,
  ranges: IdbKeyRangeStatics,
  cmp: KeyCompare,
): Promise<number> {
  const range = keyRangeOf(query, ranges, cmp);
  const limit = limitOf(query);
  if (range === EMPTY || limit === 0) return 0;
  if (limit === undefined) return requested<number>(source.count(range));
  return (await requested<unknown[]>(source.getAllKeys(range, limit))).length;
}

/** An object store's delete and clear, which deleteRange needs beside its reads. */
export interface IdbDeletable extends IdbSource {
  delete(range: unknown): IdbRequest;
  clear(): IdbRequest;
}

/**
 * Deletes every row of `store` whose primary key the query's range holds (the
 * query names no index, no limit, no order) and returns how many: IndexedDB's
 * delete takes a key range and answers no count, so a count request goes
 * first. A transaction answers its requests in order, so the count is of the
 * rows the delete removes.
 */
export async function deleteRange(
  store: IdbDeletable,
  query: Query,
  ranges: IdbKeyRangeStatics,
  cmp: KeyCompare,
): Promise<number> {
  const range = keyRangeOf(query, ranges, cmp);
  if (range === EMPTY) return 0;
  const [count] = await Promise.all([
    requested<number>(store.count(range)),
    // delete() takes a key or a range, not "every key": clear() is that.
    requested(range === undefined ? store.clear() : store.delete(range)),
  ]);
  return count;
}

/**
 * Whether getAll and getAllKeys take IdbGetAllOptions in this browser
 * (Chromium 141+): learnt at the first reversed, limited query.
 */
let getAllTakesOptions: boolean | undefined;

/**
 * The query's limit as every store counts it: whole rows (SQLite's LIMIT
 * floors a fraction, IndexedDB's count converts it), none below zero (which
 * IndexedDB's count would refuse with a TypeError); undefined for no limit.
 */
const limitOf = (query: Query) =>
  query.limit === undefined ? undefined : Math.max(0, Math.floor(query.limit));

/**
 * What `query` selects from `source`, in the query's order: each row's value,
 * or its primary key (a row of a multiEntry index once for each entry
 * matched; a limit counts entries, as the port's query does).
 */
export async function selected<T>(
  source: IdbSource,
  query: Query,
  ranges: IdbKeyRangeStatics,
  cmp: KeyCompare,
  part: 'value' | 'primaryKey',
): Promise<T[]> {
  const range = keyRangeOf(query, ranges, cmp);
  const limit = limitOf(query);
  if (range === EMPTY || limit === 0) return [];
  const all = (rangeOrOptions: unknown, count?: number) =>
    takenRows<T>(
      part === 'value' ? source.getAll(rangeOrOptions, count) : source.getAllKeys(rangeOrOptions, count),
    );
  if (!query.reverse) return all(range, limit);
  if (limit === undefined) return (await all(range)).reverse();
  const options: IdbGetAllOptions = { query: range, count: limit, direction: 'prev' };
  if (getAllTakesOptions !== false) {
    try {
      const rows = await all(options);
      getAllTakesOptions = true;
      return rows;
    } catch (error) {
      // A browser without the options takes them for a key, which is not one:
      // a DataError, thrown before any request is made (so the transaction
      // goes on). A DataError once the option worked is the query's own.
      if (getAllTakesOptions === true || (error as Error | null)?.name !== 'DataError') throw error;
      getAllTakesOptions = false;
    }
  }
  return lastByCursor<T>(source, range, limit, (cursor) => cursor[part] as T);
}

/** The last `limit` rows of `range`, highest first, by a cursor (a getAll without options). */
function lastByCursor<T>(
  source: IdbSource,
  range: unknown,
  limit: number,
  take: (cursor: IdbCursor) => T,
): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const rows: T[] = [];
    const request = source.openCursor(range, 'prev');
    request.onsuccess = () => {
      const cursor = request.result as IdbCursor | null;
      if (!cursor) return resolve(rows);
      rows.push(take(cursor));
      if (rows.length >= limit) return resolve(rows);
      cursor.continue();
    };
    request.onerror = failed(request, reject);
  });
}

const EMPTY = Symbol('empty range');

/**
 * IndexedDB's key range for a query: undefined for every key, EMPTY where
 * IDBKeyRange would throw for bounds that cross (lower above upper, or equal
 * with an open end), which the port answers with no rows. A value that is not
 * a key is IndexedDB's DataError.
 */
function keyRangeOf(query: Query, ranges: IdbKeyRangeStatics, cmp: KeyCompare): unknown {
  if (query.equals !== undefined && query.range !== undefined) {
    throw new StorageError('DataError', 'a query takes equals or range, not both');
  }
  if (query.equals !== undefined) return ranges.only(query.equals);
  if (!query.range) return undefined;
  const { lower, upper, lowerOpen = false, upperOpen = false }: KeyRange = query.range;
  if (lower !== undefined && upper !== undefined) {
    const order = cmp(lower as Key, upper as Key);
    if (order > 0 || (order === 0 && (lowerOpen || upperOpen))) return EMPTY;
    return ranges.bound(lower, upper, lowerOpen, upperOpen);
  }
  if (lower !== undefined) return ranges.lowerBound(lower, lowerOpen);
  if (upper !== undefined) return ranges.upperBound(upper, upperOpen);
  return undefined;
}
