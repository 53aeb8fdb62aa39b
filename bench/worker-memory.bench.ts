// The extension service worker's JavaScript heap (issue 13) with 100 rooms ×
// 1,000 events, in real Chromium with the built dist/chrome. The rooms are
// made in Node (bulk-rooms.ts, over a SQLite store) and their rows written
// straight into the extension's IndexedDB database, whose tables are the same
// schema: through the worker's API the 100,000 sends would take hours. Then
// the worker is stopped, as Chrome stops an idle one, and started again, so
// that what is measured boots from disk as after a restart; in it, as a client
// would use it: an initial sync, every room paged back to its creation with
// /messages, a message sent into each room and synced (the workload of
// memory.bench.ts). The heap is read over the DevTools protocol on the
// worker's target (Runtime.getHeapUsage every 250 ms: the figure is the
// largest used size seen; after HeapProfiler.collectGarbage, the live heap).
// With P2PM_HEAP_PROFILE=<file>, an allocation profile of the workload
// (HeapProfiler sampling, objects collected or not: what makes the garbage
// that sets the largest figure). `--quick`: 20 rooms × 200 events. Prints
// "skipped" without Chromium or a
// build. Run alone under the browsers' lock:
// `flock /tmp/p2pm-browsers.lock node bench/run.ts worker-memory`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Worker } from 'playwright-core';
import {
  type ExtensionBrowser,
  launchExtensionBrowser,
  removeProfile,
  stopServiceWorkers,
} from '../scripts/harness/extension-browser.ts';
import { SCHEMA } from '../src/core/schema.ts';
import type { Key, Row, Store } from '../src/core/storage/port.ts';
import { openSqliteStore } from '../src/node/storage/sqlite-store.ts';
import { Client, type Json, benchHomeserver } from './bench-homeserver.ts';
import { bulkRooms } from './bulk-rooms.ts';
import { extensionMissing } from './extension-missing.ts';
import { measured, quick } from './table.ts';
import { workerProtocol } from './worker-protocol.ts';

const ROOMS = quick ? 20 : 100;
const EVENTS = quick ? 200 : 1_000;
/** Rows per evaluation in the worker (a few MB of JSON). */
const CHUNK = 2_000;
const MB = 1024 * 1024;

/** JSON with byte arrays as {"\u0001b": [bytes]} (rows hold a few: keys, seeds). */
const encode = (rows: readonly Row[]) =>
  JSON.stringify(rows, (_key, value) =>
    value instanceof Uint8Array ? { '\u0001b': Array.from(value) } : (value as unknown),
  );

/** Every row of every table of `store`, CHUNK at a time, in key order. */
async function* dump(store: Store): AsyncGenerator<{ table: string; rows: Row[] }> {
  const tables = Object.keys(SCHEMA[SCHEMA.length - 1]!.tables);
  for (const table of tables) {
    const spec = SCHEMA[SCHEMA.length - 1]!.tables[table]!;
    const keyOf = (row: Row): Key => {
      const path = spec.key;
      return (typeof path === 'string' ? row[path] : path.map((p) => row[p])) as Key;
    };
    let after: Key | undefined;
    for (;;) {
      const rows = await store.read([table], (tx) =>
        tx.query(table, {
          ...(after === undefined ? {} : { range: { lower: after, lowerOpen: true } }),
          limit: CHUNK,
        }),
      );
      if (rows.length > 0) yield { table, rows };
      if (rows.length < CHUNK) break;
      after = keyOf(rows[rows.length - 1]!);
    }
  }
}

/** The little of IndexedDB's typings `load` uses (the bench's tsconfig has no DOM library). */
interface WorkerIdbRequest {
  result: WorkerIdb;
  error: unknown;
  onsuccess: () => void;
  onerror: () => void;
}
interface WorkerIdb {
  readonly objectStoreNames: Iterable<string>;
  transaction(
    names: string[],
    mode: 'readwrite',
  ): {
    objectStore(name: string): { clear(): void; put(row: unknown): void };
    oncomplete: () => void;
    onerror: () => void;
    error: unknown;
  };
  close(): void;
}

/** Empties the worker's database (every table), then writes the rows of `chunks` into it. */
async function load(worker: Worker, chunks: AsyncGenerator<{ table: string; rows: Row[] }>): Promise<number> {
  const write = (clear: boolean, table: string, json: string) =>
    worker.evaluate(
      async ({ clear, table, json }) => {
        const db = await new Promise<WorkerIdb>((resolve, reject) => {
          const open = (
            globalThis as unknown as { indexedDB: { open(name: string): WorkerIdbRequest } }
          ).indexedDB.open('p2p-matrix');
          open.onsuccess = () => resolve(open.result);
          open.onerror = () => reject(open.error);
        });
        try {
          const names = clear ? [...db.objectStoreNames] : [table];
          const tx = db.transaction(names, 'readwrite');
          if (clear) for (const name of names) tx.objectStore(name).clear();
          const rows = JSON.parse(json, (_key, value) =>
            value && typeof value === 'object' && '\u0001b' in value
              ? new Uint8Array(value['\u0001b'] as number[])
              : value,
          ) as unknown[];
          if (table) for (const row of rows) tx.objectStore(table).put(row);
          await new Promise<void>((resolve, reject) => {
            tx.oncomplete = () => resolve();
            tx.onerror = () => reject(tx.error);
          });
        } finally {
          db.close();
        }
      },
      { clear, table, json },
    );
  await write(true, '', '[]');
  let count = 0;
  for await (const { table, rows } of chunks) {
    await write(false, table, encode(rows));
    count += rows.length;
  }
  return count;
}

/** The worker after a stop: woken by the popup page, its homeserver booted. */
async function restartedWorker(browser: ExtensionBrowser): Promise<Worker> {
  const before = await browser.worker.evaluate(() => performance.timeOrigin).catch(() => 0);
  await stopServiceWorkers(browser.context);
  const page = await browser.context.newPage();
  await page.goto(`chrome-extension://${browser.extensionId}/popup.html`);
  for (;;) {
    const worker = browser.context.serviceWorkers().find((w) => w.url().includes(browser.extensionId));
    const started = worker ? await worker.evaluate(() => performance.timeOrigin).catch(() => before) : before;
    if (worker && started !== before) {
      await page.close();
      await worker.evaluate(() =>
        (globalThis as unknown as { p2pMatrix: { ready: Promise<unknown> } }).p2pMatrix.ready.then(
          () => undefined,
        ),
      );
      return worker;
    }
    await browser.context.waitForEvent('serviceworker', { timeout: 5_000 }).catch(() => undefined);
  }
}

/** Heap figures of the extension's service worker (worker-protocol.ts). */
async function workerHeap(context: BrowserContext, extensionId: string) {
  const protocol = await workerProtocol(context, extensionId);
  const heap = async () => (await protocol.call('Runtime.getHeapUsage')) as Record<string, number>;
  return {
    call: protocol.call,
    usedHeap: async () => (await heap()).usedSize! / MB,
    totalHeap: async () => (await heap()).totalSize! / MB,
    collectGarbage: () => protocol.call('HeapProfiler.collectGarbage'),
    detach: () => protocol.detach(),
  };
}

/** The workload of memory.bench.ts, run in the worker through its homeserver's handle(). */
function workload(worker: Worker, token: string, rooms: readonly string[]): Promise<number> {
  return worker.evaluate(
    async ({ token, rooms }) => {
      const hs = await (
        globalThis as unknown as {
          p2pMatrix: {
            ready: Promise<{ handle(req: unknown): Promise<{ status: number; body: unknown }> }>;
          };
        }
      ).p2pMatrix.ready;
      const call = async (
        method: string,
        path: string,
        query: Record<string, string>,
        body?: unknown,
      ): Promise<Json> => {
        const res = await hs.handle({
          method,
          path,
          query,
          headers: { authorization: `Bearer ${token}` },
          ...(body === undefined ? {} : { body: new TextEncoder().encode(JSON.stringify(body)) }),
        });
        if (res.status !== 200)
          throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
        return res.body;
      };
      const initial = await call('GET', '/_matrix/client/v3/sync', { timeout: '0' });
      if (Object.keys(initial.rooms?.join ?? {}).length !== rooms.length)
        throw new Error('initial sync missed rooms');
      let paged = 0;
      for (const roomId of rooms) {
        let from: string | undefined;
        for (;;) {
          const page = await call('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages`, {
            dir: 'b',
            limit: '100',
            ...(from ? { from } : {}),
          });
          paged += page.chunk.length;
          if (!page.end || page.chunk.length === 0) break;
          from = page.end;
        }
      }
      let since = initial.next_batch;
      for (const [i, roomId] of rooms.entries()) {
        await call(
          'PUT',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/w${i}`,
          {},
          {
            msgtype: 'm.text',
            body: `after restart ${i}`,
          },
        );
        since = (await call('GET', '/_matrix/client/v3/sync', { timeout: '0', since })).next_batch;
      }
      return paged;
    },
    { token, rooms },
  );
}

export default async function workerMemoryBench(): Promise<Record<string, number> | undefined> {
  const missing = extensionMissing();
  if (missing) {
    console.log(missing);
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'p2pm-worker-memory-'));
  const browser = await launchExtensionBrowser();
  try {
    const store = await openSqliteStore(join(dir, 'homeserver.sqlite'), SCHEMA, { synchronous: 'normal' });
    let user: { token: string; rooms: string[] };
    const t0 = performance.now();
    try {
      const hs = await benchHomeserver(store);
      const registered = await new Client(hs).register('alice');
      await hs.close();
      user = { token: registered.token, rooms: await bulkRooms(store, registered.userId, ROOMS, EVENTS) };
      await browser.worker.evaluate(() =>
        (globalThis as unknown as { p2pMatrix: { ready: Promise<unknown> } }).p2pMatrix.ready.then(
          () => undefined,
        ),
      );
      const rows = await load(browser.worker, dump(store));
      console.log(
        `made ${ROOMS} rooms × ${EVENTS} events and wrote their ${rows} rows into the worker's IndexedDB in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
      );
    } finally {
      await store.close();
    }
    const worker = await restartedWorker(browser);
    const protocol = await workerHeap(browser.context, browser.extensionId);
    try {
      await protocol.collectGarbage();
      const started = await protocol.usedHeap();
      let peak = started;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          peak = Math.max(peak, await protocol.usedHeap());
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      })();
      const allocations = process.env.P2PM_HEAP_PROFILE;
      if (allocations)
        await protocol.call('HeapProfiler.startSampling', {
          samplingInterval: 32_768,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: true,
        });
      const paged = await workload(worker, user.token, user.rooms);
      if (allocations) {
        const { profile } = await protocol.call('HeapProfiler.stopSampling');
        writeFileSync(allocations, JSON.stringify(profile));
        console.log(`allocation profile (every object, collected or not) in ${allocations}`);
      }
      sampling = false;
      await sampler;
      peak = Math.max(peak, await protocol.usedHeap());
      const total = await protocol.totalHeap();
      await protocol.collectGarbage();
      const live = await protocol.usedHeap();
      console.log(
        `worker JS heap: ${started.toFixed(1)} MB after boot, largest used ${peak.toFixed(1)} MB during an initial sync, ${paged} events paged and ${ROOMS} sends; ${total.toFixed(1)} MB allocated at the end, ${live.toFixed(1)} MB live after collection`,
      );
      measured('memory.worker-heap', peak);
      return {
        'worker heap after boot (MB)': started,
        'worker heap, largest used (MB)': peak,
        'worker heap live at the end (MB)': live,
      };
    } finally {
      await protocol.detach();
    }
  } finally {
    await browser.close();
    removeProfile(browser.profileDir);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log(await workerMemoryBench());
