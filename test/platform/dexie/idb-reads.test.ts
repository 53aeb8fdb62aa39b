// A query's rows leave the IndexedDB request that read them (idb-reads.ts):
// Chromium keeps a request's result on its JavaScript object, which V8's
// scavenges take as a root, so the request's array is emptied and the rows
// handed on in one of their own. A reversed, limited query is getAll with a
// direction where IndexedDB has that option.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { type IdbRequest, type IdbSource, selected } from '../../../src/platform/dexie/idb-reads.ts';

interface Store extends IdbSource {
  put(row: unknown): IdbRequest;
}
interface Db {
  createObjectStore(name: string, options: { keyPath: string }): Store;
  transaction(names: string[], mode: 'readwrite'): { objectStore(name: string): Store };
}

async function openStore(): Promise<Store> {
  const db = await new Promise<Db>((resolve, reject) => {
    const open = indexedDB.open(`idb-reads-${process.pid}`, 1);
    open.onupgradeneeded = () => (open.result as unknown as Db).createObjectStore('kv', { keyPath: 'k' });
    open.onsuccess = () => resolve(open.result as unknown as Db);
    open.onerror = () => reject(open.error);
  });
  const store = db.transaction(['kv'], 'readwrite').objectStore('kv');
  for (const k of ['a', 'b', 'c', 'd', 'e']) store.put({ k });
  return store;
}

/** `store`, with the requests its getAll and getAllKeys made and the arguments they took. */
function watched(store: Store) {
  const requests: { args: unknown[]; request: IdbRequest }[] = [];
  const source: IdbSource = {
    getAll: (...args) => {
      const request = store.getAll(...args);
      requests.push({ args, request });
      return request;
    },
    getAllKeys: (...args) => {
      const request = store.getAllKeys(...args);
      requests.push({ args, request });
      return request;
    },
    count: (range) => store.count(range),
    openCursor: () => assert.fail('a cursor keeps each value it reached on itself'),
  };
  return { source, requests };
}

const cmp = (a: unknown, b: unknown) => indexedDB.cmp(a, b);

test('a getAll hands on its rows and empties the request’s result', async () => {
  const { source, requests } = watched(await openStore());
  const rows = await selected<{ k: string }>(source, { range: { lower: 'b' } }, IDBKeyRange, cmp, 'value');
  assert.deepEqual(
    rows.map((row) => row.k),
    ['b', 'c', 'd', 'e'],
  );
  assert.equal(requests.length, 1);
  assert.deepEqual(requests[0]!.request.result, []);
});

test('a reversed, limited query is getAll with direction prev, its keys too', async () => {
  const { source, requests } = watched(await openStore());
  const rows = await selected<{ k: string }>(source, { reverse: true, limit: 2 }, IDBKeyRange, cmp, 'value');
  assert.deepEqual(
    rows.map((row) => row.k),
    ['e', 'd'],
  );
  const keys = await selected<string>(
    source,
    { range: { upper: 'c' }, reverse: true, limit: 2 },
    IDBKeyRange,
    cmp,
    'primaryKey',
  );
  assert.deepEqual(keys, ['c', 'b']);
  assert.deepEqual(
    requests.map(({ args }) => (args[0] as { direction?: string; count?: number }).direction),
    ['prev', 'prev'],
  );
  assert.deepEqual(
    requests.map(({ args }) => (args[0] as { count?: number }).count),
    [2, 2],
  );
  for (const { request } of requests) assert.deepEqual(request.result, []);
});
