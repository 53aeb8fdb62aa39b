// The storage port over Dexie 4 and IndexedDB: the store of the extension's
// service worker, and of unit tests over fake-indexeddb (passed in as options,
// so the core never imports it). Dexie's typings need no DOM lib, so this file
// stays in the platform-free core.

import { type Collection, Dexie, type DexieOptions, type Table, type Transaction } from 'dexie';
import {
  checkVersions,
  type Key,
  type KeyRange,
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
  countRows,
  failed,
  type IdbKeyRangeStatics,
  type IdbRequest,
  type IdbSource,
  type KeyCompare,
  queryRows,
  requested,
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
  await db.open();
  // Dexie 4 opens a database newer than the code's schema as it is; older code
  // writing into a newer layout could break its invariants, so refuse instead.
  const stored = schemaVersionOf(db.backendDB().version as number);
  if (stored > current.version) {
    db.close();
    throw new StorageError('VersionError', `${name} is at version ${stored}, newer than ${current.version}`);
  }
  const indexes = dexieIndexNames(current);
  return {
    read: async (tables, fn) =>
      db.transaction('r', tables as string[], (trans) => {
        const { get, query, count } = dexieTx(trans, indexes, keys);
        return fn({ get, query, count });
      }),
    write: async (tables, fn) =>
      db.transaction('rw', tables as string[], (trans) => fn(dexieTx(trans, indexes, keys))),
    close: async () => db.close(),
  };
}

/** IndexedDB's transaction and object stores, as far as this file uses them (no DOM lib here). */
interface IdbObjectStore extends IdbSource {
  readonly autoIncrement: boolean;
  readonly indexNames: { contains(name: string): boolean };
  index(name: string): IdbSource;
  get(key: Key): IdbRequest;
  put(row: Row): IdbRequest;
  delete(key: Key): IdbRequest;
}
interface IdbTransaction {
  objectStore(name: string): IdbObjectStore;
}

/** What the native reads need beside the transaction: IDBKeyRange and IDBFactory.cmp. */
interface KeyParts {
  readonly ranges: IdbKeyRangeStatics;
  readonly cmp: KeyCompare;
}

/**
 * The port's transaction over Dexie's. Tables are taken from the transaction
 * object itself rather than from Dexie's ambient zone, so operations join this
 * transaction without relying on the zone following native awaits. (Awaiting
 * anything else still lets IndexedDB commit early: see port.ts.)
 *
 * A row's get, put and delete, queries and counts go to IndexedDB's own
 * object stores and indexes under Dexie's transaction (idb-reads.ts):
 * through Dexie each cost the worker about as much again as the request
 * itself (its middlewares, its promises and zones), and a received
 * transaction makes a few hundred of them (bulk writes too: one request a
 * row). deleteWhere, rare, stays Dexie's.
 */
function dexieTx(trans: Transaction, indexes: IndexNames, keys: KeyParts): WriteTx {
  const table = (name: string) => trans.table(name);
  const native = (trans as unknown as { idbtrans?: IdbTransaction }).idbtrans;
  // Dexie's own field, not its API: a Dexie that renames it must fail here, not at the first row.
  if (typeof native?.objectStore !== 'function')
    throw new Error("Dexie's transaction carries no IndexedDB transaction (trans.idbtrans)");
  const stores = new Map<string, IdbObjectStore>();
  const store = (name: string) => {
    let found = stores.get(name);
    if (!found) {
      try {
        found = native.objectStore(name);
      } catch (err) {
        // IndexedDB's name for a store asked of a finished transaction.
        if ((err as Error).name === 'InvalidStateError')
          throw new StorageError('TransactionInactiveError', `the transaction over ${name} has finished`);
        throw err;
      }
      stores.set(name, found);
    }
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
  const tx: WriteTx = {
    get: async <T extends Row>(name: string, key: Key) => requested<T | undefined>(store(name).get(key)),
    query: async <T extends Row>(name: string, query: Query = {}) =>
      queryRows<T>(source(name, query), query, keys.ranges, keys.cmp),
    // IndexedDB's count has no limit, and Chromium's walks every entry: a word in 60,000
    // index rows cost its 60,000 for a count asked up to 200. A limited count reads at most
    // `limit` primary keys instead (countRows).
    count: async (name, query = {}) => countRows(source(name, query), query, keys.ranges, keys.cmp),
    // IndexedDB puts a clone: an assigned auto-increment key is not written back into `row`.
    put: async (name, row) => requested<Key>(store(name).put(row)),
    // One request a row all the same (IndexedDB has no bulk put), as Dexie's bulkPut made
    // them: only the last one's success is listened to (a transaction's requests are
    // answered in order), each one's failure rejects.
    putAll: async (name, rows) => {
      const target = store(name);
      if (target.autoIncrement)
        throw new StorageError('DataError', `putAll into ${name}, an auto-increment table`);
      if (rows.length === 0) return;
      await new Promise<void>((resolve, reject) => {
        let last: IdbRequest | undefined;
        for (const row of rows) {
          const request = target.put(row);
          request.onerror = failed(request, reject);
          last = request;
        }
        last!.onsuccess = () => resolve();
      });
    },
    delete: async (name, key) => {
      await requested(store(name).delete(key));
    },
    deleteWhere: async (name, query) => {
      const index = indexOf(indexes, name, query);
      const selected = collection(table(name), index.name, query);
      if (!index.multiEntry) return selected.delete();
      // Dexie counts the index entries it went through: a row of a multiEntry index is under
      // several, and the port counts rows (IndexedDB deletes each once).
      const matched = await selected.primaryKeys();
      const unique = [...new Map(matched.map((key) => [keyId(key as Key), key])).values()];
      await table(name).bulkDelete(unique);
      return unique.length;
    },
  };
  return tx;
}

function indexOf(indexes: IndexNames, table: string, query?: Query): DexieIndex {
  const index = indexes.get(table)?.get(query?.index);
  if (index === undefined)
    throw new StorageError('NotFoundError', `no index ${query?.index} on table ${table}`);
  return index;
}

function collection(table: Table, index: string, query: Query = {}): Collection {
  if (query.equals !== undefined && query.range !== undefined) {
    throw new StorageError('DataError', 'a query takes equals or range, not both');
  }
  let result =
    query.equals !== undefined
      ? table.where(index).equals(query.equals)
      : query.range
        ? inRange(table, index, query.range)
        : table.orderBy(index);
  if (query.reverse) result = result.reverse();
  if (query.limit !== undefined) result = result.limit(query.limit);
  return result;
}

function inRange(table: Table, index: string, range: KeyRange): Collection {
  const where = table.where(index);
  const { lower, upper } = range;
  if (lower !== undefined && upper !== undefined) {
    return where.between(lower, upper, !range.lowerOpen, !range.upperOpen);
  }
  if (lower !== undefined) return range.lowerOpen ? where.above(lower) : where.aboveOrEqual(lower);
  if (upper !== undefined) return range.upperOpen ? where.below(upper) : where.belowOrEqual(upper);
  return table.orderBy(index);
}
