// The storage port over Dexie 4 and IndexedDB: the store of the extension's
// service worker, and of unit tests over fake-indexeddb (passed in as options,
// so the core never imports it). Dexie's typings need no DOM lib, so this file
// stays in the platform-free core. Dexie opens and upgrades the database
// (dexie-schema.ts); the port's transactions are IndexedDB's own (transact).

import { Dexie, type DexieOptions } from 'dexie';
import {
  checkVersions,
  type Key,
  keyId,
  type Query,
  type Row,
  type SchemaVersion,
  StorageError,
  type Store,
  type WriteTx,
} from '../../core/storage.ts';
import { type DexieIndex, dexieIndexNames, dexieStores } from './dexie-schema.ts';
import {
  added,
  countRows,
  deleteRange,
  failed,
  type IdbDeletable,
  type IdbKeyRangeStatics,
  type IdbRequest,
  type IdbSource,
  type KeyCompare,
  requested,
  selected,
} from './idb-reads.ts';

export interface DexieStoreOptions {
  /** The IDBFactory to use; defaults to the global indexedDB. */
  readonly indexedDB?: DexieOptions['indexedDB'];
  /** The IDBKeyRange constructor matching that factory; defaults to the global one. */
  readonly IDBKeyRange?: DexieOptions['IDBKeyRange'];
  /**
   * Chromium's transaction durability. 'strict' (our default) resolves a write
   * only after the data is flushed to disk, as the port promises; 'relaxed'
   * (what Chromium now does by default) is faster but can lose the last
   * commits on power loss, which for a homeserver means forgetting events it
   * has already signed and sent. Other browsers ignore this.
   */
  readonly durability?: 'strict' | 'relaxed' | 'default';
}

type IndexNames = Map<string, Map<string | undefined, DexieIndex>>;

/**
 * The schema version of an IndexedDB version: IndexedDB's is Dexie's times
 * ten, plus one for each schema patch Dexie makes when a schema changed
 * without a new version number.
 */
const schemaVersionOf = (idbVersion: number) => Math.floor(idbVersion / 10);

/**
 * The schema version the database `name` is at, or undefined when it does
 * not exist or the factory cannot list its databases.
 */
async function storedVersion(name: string, given: DexieOptions['indexedDB']): Promise<number | undefined> {
  const factory = (given ?? (globalThis as { indexedDB?: unknown }).indexedDB) as DatabaseLister | undefined;
  if (typeof factory?.databases !== 'function') return undefined;
  const found = (await factory.databases()).find((db) => db.name === name);
  return found?.version === undefined ? undefined : schemaVersionOf(found.version);
}

/**
 * The IDBKeyRange and IDBFactory.cmp matching the factory the store opens
 * with: a factory and its IDBKeyRange are given together or not at all (the
 * global ones), since a key range of one implementation means nothing to
 * another's requests.
 */
function keyParts(options: DexieStoreOptions): KeyParts {
  if ((options.indexedDB === undefined) !== (options.IDBKeyRange === undefined)) {
    throw new StorageError(
      'NotSupportedError',
      'openDexieStore takes indexedDB and IDBKeyRange together, or neither (the global ones)',
    );
  }
  const global = globalThis as { indexedDB?: unknown; IDBKeyRange?: unknown };
  const factory = (options.indexedDB ?? global.indexedDB) as { cmp?: KeyCompare } | undefined;
  const ranges = (options.IDBKeyRange ?? global.IDBKeyRange) as IdbKeyRangeStatics | undefined;
  if (typeof factory?.cmp !== 'function' || !ranges)
    throw new StorageError('NotSupportedError', 'no IndexedDB here');
  return { ranges, cmp: factory.cmp.bind(factory) };
}

/** IDBFactory.databases(), which this file's typings (no DOM lib) lack. */
interface DatabaseLister {
  databases?(): Promise<readonly { readonly name?: string; readonly version?: number }[]>;
}

/** Opens (creating or upgrading) the IndexedDB database `name` at the highest of `versions`. */
export async function openDexieStore(
  name: string,
  versions: readonly SchemaVersion[],
  options: DexieStoreOptions = {},
): Promise<Store> {
  checkVersions(versions);
  // Before anything is opened: a wrong pair of options leaves no database open.
  const keys = keyParts(options);
  const db = new Dexie(name, {
    ...(options.indexedDB ? { indexedDB: options.indexedDB } : {}),
    ...(options.IDBKeyRange ? { IDBKeyRange: options.IDBKeyRange } : {}),
    chromeTransactionDurability: options.durability ?? 'strict',
    // liveQuery is not used: skip its cache and the per-commit change broadcast.
    cache: 'disabled',
  });
  db.unuse({ stack: 'dbcore', name: 'Observability' });
  const current = versions[versions.length - 1]!;
  // Declaring a version costs Dexie a pass over every version declared before
  // it: the nine versions of the homeserver's schema took 40-170 ms of one
  // synchronous task at load 15, at every start of the extension's worker.
  // A database already at the current version needs only that one (Dexie
  // checks it against the stored layout as it does after an upgrade); an
  // older one is upgraded through every version, as before.
  const declared = (await storedVersion(name, options.indexedDB)) === current.version ? [current] : versions;
  declared.forEach((version, i) => {
    db.version(version.version).stores(dexieStores(version, declared[i - 1]));
  });
  // Dexie 4 opens a database newer than the code's schema as it is; older code
  // writing into a newer layout could break its invariants, so refuse instead,
  // at the first open and at every reopening (another context may have
  // upgraded it: Dexie closes this connection on its versionchange).
  const openCurrent = async () => {
    await db.open();
    const stored = schemaVersionOf(db.backendDB().version as number);
    if (stored > current.version) {
      db.close();
      throw new StorageError(
        'VersionError',
        `${name} is at version ${stored}, newer than ${current.version}`,
      );
    }
  };
  await openCurrent();
  const indexes = dexieIndexNames(current);
  let idb = db.backendDB() as unknown as IdbDatabase;
  const durability = options.durability ?? 'strict';
  let closed = false;
  // One reopening for every transaction that found the connection lost at once.
  let reopening: Promise<void> | undefined;
  const reopen = () =>
    (reopening ??= (async () => {
      db.close({ disableAutoOpen: false });
      try {
        await openCurrent();
      } catch (err) {
        // A newer database (VersionError) says so; any other failed open (Dexie's own
        // DatabaseClosedError when close() came during it) is the port's closed database.
        if (err instanceof StorageError) throw err;
        throw new StorageError(
          'DatabaseClosedError',
          `${name}: could not open again: ${(err as Error).message}`,
        );
      }
      idb = db.backendDB() as unknown as IdbDatabase;
    })().finally(() => {
      reopening = undefined;
    }));
  const run = async <T>(
    mode: 'readonly' | 'readwrite',
    tables: readonly string[],
    fn: (tx: WriteTx) => Promise<T>,
  ): Promise<T> => {
    if (closed) throw new StorageError('DatabaseClosedError', `${name} is closed`);
    const body = (native: IdbTransaction) => fn(nativeTx(native, tables[0]!, indexes, keys));
    try {
      return await transact(idb, mode, tables, durability, body);
    } catch (err) {
      if (!(err instanceof ConnectionLost)) throw err;
      // Chromium can close a connection under its page (Dexie's issue 1398), and Dexie closes it
      // on versionchange: opened again, as Dexie's own transactions did; a second loss is final.
      await reopen();
      if (closed) throw new StorageError('DatabaseClosedError', `${name} is closed`);
      try {
        return await transact(idb, mode, tables, durability, body);
      } catch (again) {
        if (again instanceof ConnectionLost)
          throw new StorageError('DatabaseClosedError', `${name}: the connection was closed`);
        throw again;
      }
    }
  };
  return {
    read: async (tables, fn) =>
      run('readonly', tables, (tx) => {
        const { get, query, count } = tx;
        return fn({ get, query, count });
      }),
    write: async (tables, fn) => run('readwrite', tables, fn),
    close: async () => {
      closed = true;
      // Dexie's close() during its open() rejects the open, but the connection the open request
      // still makes is kept (db.idbdb) and never closed: a reopening under way finishes first.
      await reopening?.catch(() => {});
      db.close();
    },
  };
}

/**
 * The error of a transaction that aborted by itself, as the port names it: a
 * full quota is the StorageError callers branch on (content.ts), whichever
 * store is below; others pass as the browser named them.
 */
function abortError(error: { name: string; message: string } | null): Error {
  if (error === null) return new StorageError('TransactionInactiveError', 'the transaction was aborted');
  if (error.name === 'QuotaExceededError') return new StorageError('QuotaExceededError', error.message);
  return error as Error;
}

/** A transaction asked of a connection that was closed, not by close(). */
class ConnectionLost extends Error {}

/** IDBDatabase, as far as this file uses it (no DOM lib here). */
interface IdbDatabase {
  transaction(
    tables: string[],
    mode: 'readonly' | 'readwrite',
    options?: { durability: 'strict' | 'relaxed' | 'default' },
  ): IdbTransaction;
}

/**
 * Runs `fn` in one IndexedDB transaction of its own, without Dexie's
 * transaction: Dexie's wraps the function in its zone and its promises
 * (every await inside went through them: about 60 ms of promise.js and 10 of
 * its cache middleware in a worker profile of 5,000 received PDUs, beside
 * the garbage). The port's rules make the rest simple: `fn` awaits only this
 * transaction's requests (port.ts), so IndexedDB keeps it active to the end.
 *  - `fn` resolving: a write asks IndexedDB to commit at once (commit(),
 *    where the browser has it) and resolves on `complete`, when the commit
 *    is durable (Chromium with 'strict' durability: flushed to disk); a read
 *    resolves at once, since what it read cannot change under it (IndexedDB
 *    ends it when the task is over).
 *  - `fn` throwing: the transaction is aborted, nothing of it written, and
 *    the promise rejects with `fn`'s error.
 *  - the transaction aborting by itself (a failed commit: the quota full, the
 *    database closed under it): the promise rejects with its error.
 */
function transact<T>(
  idb: IdbDatabase,
  mode: 'readonly' | 'readwrite',
  tables: readonly string[],
  durability: 'strict' | 'relaxed' | 'default',
  fn: (tx: IdbTransaction) => Promise<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let native: IdbTransaction;
    try {
      native = idb.transaction([...tables], mode, { durability });
    } catch (err) {
      // IndexedDB's name for a transaction asked of a closed connection.
      return reject((err as Error).name === 'InvalidStateError' ? new ConnectionLost() : err);
    }
    let failed = false;
    let result: T;
    native.onabort = () => {
      if (!failed) reject(abortError(native.error));
      failed = true;
    };
    let settled = false;
    native.oncomplete = () => {
      if (failed || mode !== 'readwrite') return;
      failed = true;
      if (settled) return resolve(result);
      // IndexedDB committed with `fn` still running: it awaited something other than this transaction's requests.
      reject(
        new StorageError(
          'TransactionInactiveError',
          'the transaction committed before its function returned',
        ),
      );
    };
    let running: Promise<T>;
    try {
      running = fn(native);
    } catch (err) {
      running = Promise.reject(err);
    }
    running.then(
      (value) => {
        settled = true;
        if (failed) return;
        if (mode === 'readonly') return resolve(value);
        result = value;
        // IndexedDB would commit once the task is over; asked now, it starts the commit at once, as Dexie did.
        try {
          native.commit?.();
        } catch {
          // Already committing (no request was pending): `complete` comes all the same.
        }
      },
      (err: unknown) => {
        settled = true;
        if (failed) return;
        failed = true;
        try {
          native.abort();
        } catch {
          // Finished already: whatever it wrote is committed, but the caller sees its error.
        }
        reject(err);
      },
    );
  });
}

/** IndexedDB's transaction and object stores, as far as this file uses them (no DOM lib here). */
interface IdbObjectStore extends IdbDeletable {
  readonly autoIncrement: boolean;
  readonly indexNames: { contains(name: string): boolean };
  index(name: string): IdbSource;
  get(key: Key): IdbRequest;
  put(row: Row): IdbRequest;
  add(row: Row): IdbRequest;
}
interface IdbTransaction {
  readonly error: { readonly name: string; readonly message: string } | null;
  onabort: (() => void) | null;
  oncomplete: (() => void) | null;
  objectStore(name: string): IdbObjectStore;
  commit?(): void;
  abort(): void;
}

/** What the native reads need beside the transaction: IDBKeyRange and IDBFactory.cmp. */
interface KeyParts {
  readonly ranges: IdbKeyRangeStatics;
  readonly cmp: KeyCompare;
}

/**
 * The port's transaction over IndexedDB's (transact): a row's get, put and
 * delete, queries and counts go to its object stores and indexes
 * (idb-reads.ts): through Dexie each cost the worker about as much again as
 * the request itself (its middlewares, its promises and zones), and a
 * received transaction makes a few hundred of them (bulk writes too: one
 * request a row).
 */
function nativeTx(native: IdbTransaction, first: string, indexes: IndexNames, keys: KeyParts): WriteTx {
  const stores = new Map<string, IdbObjectStore>();
  /** The object store, asked of the transaction itself (a finished one refuses). */
  const opened = (name: string) => {
    try {
      return native.objectStore(name);
    } catch (err) {
      // IndexedDB's name for a store asked of a finished transaction.
      if ((err as Error).name === 'InvalidStateError')
        throw new StorageError('TransactionInactiveError', `the transaction over ${name} has finished`);
      throw err;
    }
  };
  const store = (name: string) => {
    let found = stores.get(name);
    if (!found) {
      found = opened(name);
      stores.set(name, found);
    }
    return found;
  };
  /** The object store of a table whose rows bring their keys (putAll and add refuse an auto-increment one). */
  const keyedStore = (name: string, what: string) => {
    const found = store(name);
    if (found.autoIncrement)
      throw new StorageError('DataError', `${what} into ${name}, an auto-increment table`);
    return found;
  };
  /** The object store, or its index, a query reads (an index on the primary key's path is the store). */
  const source = (name: string, query: Query): IdbSource => {
    const index = indexOf(indexes, name, query).name;
    const found = store(name);
    if (index === ':id') return found;
    if (!found.indexNames.contains(index))
      throw new StorageError('NotFoundError', `no index ${index} in the database's table ${name}`);
    return found.index(index);
  };
  /** Issues a request for each of `items` (IndexedDB has no bulk request) and resolves when the last one succeeded. */
  const each = <I>(items: readonly I[], request: (item: I) => IdbRequest) =>
    new Promise<void>((resolve, reject) => {
      // A transaction's requests are answered in order: only the last one's success is listened to, each one's failure rejects.
      let last: IdbRequest | undefined;
      for (const item of items) {
        const issued = request(item);
        issued.onerror = failed(issued, reject);
        last = issued;
      }
      if (last) last.onsuccess = () => resolve();
      else resolve();
    });
  const tx: WriteTx = {
    get: async <T extends Row>(name: string, key: Key) => requested<T | undefined>(store(name).get(key)),
    query: async <T extends Row>(name: string, query: Query = {}) =>
      selected<T>(source(name, query), query, keys.ranges, keys.cmp, 'value'),
    // IndexedDB's count has no limit, and Chromium's walks every entry: a word in 60,000
    // index rows cost its 60,000 for a count asked up to 200. A limited count reads at most
    // `limit` primary keys instead (countRows).
    count: async (name, query = {}) => countRows(source(name, query), query, keys.ranges, keys.cmp),
    // IndexedDB puts a clone: an assigned auto-increment key is not written back into `row`.
    put: async (name, row) => requested<Key>(store(name).put(row)),
    putAll: async (name, rows) => {
      const target = keyedStore(name, 'putAll');
      await each(rows, (row) => target.put(row));
    },
    add: async (name, row) => added(keyedStore(name, 'add').add(row)),
    delete: async (name, key) => {
      await requested(store(name).delete(key));
    },
    // Over the store's own keys, whole (no limit, not reversed): one count and one delete of the
    // range, as Dexie's Collection.delete did. Otherwise the primary keys the query selects (a row
    // of a multiEntry index once, though it matched several entries: the port counts rows), then
    // a delete each.
    deleteWhere: async (name, query) => {
      const from = source(name, query);
      const target = store(name);
      if (from === target && query.limit === undefined && !query.reverse)
        return deleteRange(target, query, keys.ranges, keys.cmp);
      const matched = await selected<Key>(from, query, keys.ranges, keys.cmp, 'primaryKey');
      const unique = [...new Map(matched.map((key) => [keyId(key), key])).values()];
      await each(unique, (key) => target.delete(key));
      return unique.length;
    },
    hold: async <T>(work: Promise<T>) => {
      // A finished transaction refuses, its work settled or not, as SQLite's does.
      opened(first);
      // Settled already (checks done while the caller wrote): no request, the caller goes on at once.
      const early = await Promise.race([work, pending]);
      if (early !== PENDING) return early as T;
      return new Promise<T>((resolve, reject) => {
        // Set once the work settled: the next read's success settles the hold with it.
        let settle: (() => void) | undefined;
        work.then(
          (value) => {
            settle = () => resolve(value);
          },
          (error: unknown) => {
            settle = () => reject(error);
          },
        );
        // A chain of reads, one pending at a time, each issued from the last one's success,
        // while the transaction is active: IndexedDB does not commit a transaction with a
        // request pending, and settling from a success lets the caller issue more. -Infinity
        // is a valid key below any the tables hold, so each read is a lookup that finds nothing.
        const keepOpen = () => {
          const request = store(first).get(-Infinity);
          request.onerror = failed(request, reject);
          request.onsuccess = () => (settle ? settle() : keepOpen());
        };
        keepOpen();
      });
    },
  };
  return tx;
}

/** What WriteTx.hold races its work against: resolved already, so the work wins the race only if settled. */
const PENDING = Symbol('pending');
const pending = Promise.resolve(PENDING);

function indexOf(indexes: IndexNames, table: string, query?: Query): DexieIndex {
  const index = indexes.get(table)?.get(query?.index);
  if (index === undefined)
    throw new StorageError('NotFoundError', `no index ${query?.index} on table ${table}`);
  return index;
}
