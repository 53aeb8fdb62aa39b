// The extension's store opens its connection again when it finds it closed
// (dexie-store.ts, run and reopen): Chromium can close a connection under its
// page (Dexie's issue 1398), and Dexie closes it on versionchange. Here the
// native IDBDatabase is closed behind Dexie's back, through a factory that
// hands the test every connection it opens; each step waits on an event (a
// request, an open), never on time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { type SchemaVersion, StorageError } from '../../../src/core/storage.ts';
import { openDexieStore } from '../../../src/platform/dexie/dexie-store.ts';

const VERSIONS: SchemaVersion[] = [{ version: 1, tables: { kv: { key: 'k' } } }];

interface Connection {
  readonly version: number;
  close(): void;
}

/**
 * indexedDB, with every connection its open() made (opened) and which of them
 * were closed, by anyone (closed); onOpen is called as each open() is asked.
 */
function watchedFactory() {
  const opened: Connection[] = [];
  const closed = new Set<Connection>();
  const requests: Promise<void>[] = [];
  const watch = {
    opened,
    closed,
    /** Each open() asked, settled when its request succeeded or failed. */
    requests,
    onOpen: undefined as (() => void) | undefined,
    /** The connections open now. */
    open: () => opened.filter((connection) => !closed.has(connection)),
  };
  const factory = new Proxy(indexedDB, {
    get(target, property) {
      if (property === 'open') {
        return (name: string, version?: number) => {
          const request = target.open(name, version);
          request.addEventListener('success', () => {
            const connection = request.result as unknown as Connection;
            const close = connection.close.bind(connection);
            connection.close = () => {
              closed.add(connection);
              close();
            };
            opened.push(connection);
          });
          requests.push(
            new Promise((settle) => {
              request.addEventListener('success', () => settle());
              request.addEventListener('error', () => settle());
            }),
          );
          watch.onOpen?.();
          return request;
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { factory, watch };
}

let databases = 0;
async function opened() {
  const { factory, watch } = watchedFactory();
  const name = `reconnect-${process.pid}-${databases++}`;
  const store = await openDexieStore(name, VERSIONS, { indexedDB: factory, IDBKeyRange });
  assert.equal(watch.open().length, 1);
  return {
    name,
    store,
    watch,
    lose: () => {
      for (const connection of watch.open()) connection.close();
    },
  };
}

const keys = (rows: readonly { k?: unknown }[]) => rows.map((row) => row.k).sort();

test('a write running on a connection closed under it finishes and commits', async () => {
  const { store, watch, lose } = await opened();
  const result = await store.write(['kv'], async (tx) => {
    await tx.put('kv', { k: 'a' });
    // IndexedDB's close() waits for the transactions already running on the connection.
    lose();
    await tx.put('kv', { k: 'b' });
    return 'whole';
  });
  assert.equal(result, 'whole');
  assert.equal(watch.open().length, 0);
  assert.deepEqual(keys(await store.read(['kv'], (tx) => tx.query('kv'))), ['a', 'b']);
  assert.equal(watch.opened.length, 2);
  await store.close();
});

test('the next write after a lost connection reconnects once, runs its function once and commits', async () => {
  const { store, watch, lose } = await opened();
  lose();
  let runs = 0;
  const result = await store.write(['kv'], async (tx) => {
    runs++;
    await tx.put('kv', { k: 'a' });
    return 'written';
  });
  assert.equal(result, 'written');
  assert.equal(runs, 1);
  assert.equal(watch.opened.length, 2, 'one reopening');
  assert.equal(watch.open().length, 1);
  assert.deepEqual(keys(await store.read(['kv'], (tx) => tx.query('kv'))), ['a']);
  await store.close();
  assert.equal(watch.open().length, 0);
});

test('20 writes started together on a lost connection share one reopening and all commit', async () => {
  const { store, watch, lose } = await opened();
  lose();
  const runs = new Map<number, number>();
  const written = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      store.write(['kv'], async (tx) => {
        runs.set(i, (runs.get(i) ?? 0) + 1);
        await tx.put('kv', { k: `k${String(i).padStart(2, '0')}` });
        return i;
      }),
    ),
  );
  assert.deepEqual(
    written,
    Array.from({ length: 20 }, (_, i) => i),
  );
  assert.ok(
    [...runs.values()].every((n) => n === 1),
    'each function ran once',
  );
  assert.equal(watch.opened.length, 2, 'one reopening for all 20');
  assert.equal((await store.read(['kv'], (tx) => tx.query('kv'))).length, 20);
  await store.close();
});

test('close() during a reopening rejects the write with DatabaseClosedError and leaves no connection open', async () => {
  const { store, watch, lose } = await opened();
  lose();
  let closing: Promise<void> | undefined;
  watch.onOpen = () => {
    watch.onOpen = undefined;
    closing = store.close();
  };
  let runs = 0;
  await assert.rejects(
    store.write(['kv'], async (tx) => {
      runs++;
      await tx.put('kv', { k: 'a' });
    }),
    (err: unknown) => err instanceof StorageError && err.name === 'DatabaseClosedError',
  );
  await closing;
  assert.equal(runs, 0);
  // The open asked before close() may still succeed: whatever it opened must be closed by then.
  await Promise.all(watch.requests);
  assert.deepEqual(watch.open(), [], 'no connection left open');
  await assert.rejects(
    store.read(['kv'], (tx) => tx.query('kv')),
    (err: unknown) => err instanceof StorageError && err.name === 'DatabaseClosedError',
  );
});

test('a reopening refuses a database another connection upgraded past the code', async () => {
  const { name, store, watch } = await opened();
  // Another context (a newer extension) upgrades it: Dexie closes its connection on the versionchange.
  const { promise: upgraded, resolve, reject } = Promise.withResolvers<void>();
  const request = indexedDB.open(name, 30);
  request.onsuccess = () => {
    request.result.close();
    resolve();
  };
  request.onerror = () => reject(request.error);
  await upgraded;
  assert.equal(watch.open().length, 0);
  await assert.rejects(
    store.write(['kv'], (tx) => tx.put('kv', { k: 'a' })),
    (err: unknown) => err instanceof StorageError && err.name === 'VersionError',
  );
  assert.equal(watch.open().length, 0, 'the refused connection is closed');
  await store.close();
});
