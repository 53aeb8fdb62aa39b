// Storage port throughput: puts/s in single-row transactions and in batches of
// 1,000, full-range index reads and 50-row pages (a /messages page), for
// SQLite (file, synchronous FULL and NORMAL) and Dexie over fake-indexeddb.
// fake-indexeddb is an in-memory JavaScript model of IndexedDB: its numbers
// say nothing about Chromium's IndexedDB (LevelDB on disk, IPC to the browser
// process), only about the overhead of our Dexie layer.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { openDexieStore } from '../src/platform/dexie/dexie-store.ts';
import type { SchemaVersion, Store } from '../src/core/storage/port.ts';
import { openSqliteStore } from '../src/node/storage/sqlite-store.ts';

const SCHEMA: readonly SchemaVersion[] = [
  {
    version: 1,
    tables: {
      events: { key: 'event_id', indexes: { room_stream: ['room_id', 'stream'], stream: 'stream' } },
    },
  },
];
const SINGLE = 500;
const BATCHES = 10;
const BATCH = 1000;
const PAGE = 50;
const SCANS = 10;

/** A stored event of about 1 KB, like the rooms module writes. */
function event(stream: number) {
  return {
    event_id: `$${stream.toString(36).padStart(8, '0')}bench-event-id-hash-part`,
    room_id: `!room${stream % 4}:example.org`,
    stream,
    type: 'm.room.message',
    sender: '@alice:example.org',
    depth: stream,
    pdu: {
      content: { msgtype: 'm.text', body: 'hello world '.repeat(40) },
      prev_events: ['$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'],
      auth_events: [
        '$bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
        '$ccccccccccccccccccccccccccccccccccccccccccc',
      ],
      hashes: { sha256: 'x'.repeat(43) },
      signatures: { 'example.org': { 'ed25519:a': 'y'.repeat(86) } },
    },
  };
}

const rate = (count: number, ms: number) => Math.round((count / ms) * 1000).toLocaleString('en');

async function measure(label: string, store: Store): Promise<string> {
  let stream = 0;
  let start = performance.now();
  for (let i = 0; i < SINGLE; i++) await store.write(['events'], (tx) => tx.put('events', event(++stream)));
  const single = performance.now() - start;
  start = performance.now();
  for (let b = 0; b < BATCHES; b++) {
    await store.write(['events'], async (tx) => {
      for (let i = 0; i < BATCH; i++) await tx.put('events', event(++stream));
    });
  }
  const batched = performance.now() - start;
  const room = {
    index: 'room_stream',
    range: { lower: ['!room1:example.org', 0], upper: ['!room1:example.org', stream] },
  };
  let rows = 0;
  start = performance.now();
  for (let i = 0; i < SCANS; i++)
    rows += (await store.read(['events'], (tx) => tx.query('events', room))).length;
  const scan = performance.now() - start;
  start = performance.now();
  for (let i = 0; i < 100; i++) {
    const upper = ['!room1:example.org', stream - i * PAGE];
    const page = { ...room, range: { ...room.range, upper }, reverse: true, limit: PAGE };
    await store.read(['events'], (tx) => tx.query('events', page));
  }
  const pages = performance.now() - start;
  return (
    `storage ${label}: ${rate(SINGLE, single)} puts/s single-row txs, ${rate(BATCHES * BATCH, batched)} puts/s ` +
    `in txs of ${BATCH}, ${rate(rows, scan)} rows/s index range read (${rows / SCANS} rows), ` +
    `${rate(100, pages)} pages/s of ${PAGE} newest-first`
  );
}

export default async function storageBench(): Promise<void> {
  // An untimed run first, so the first timed one does not pay for JIT warm-up.
  const warmUp = await openSqliteStore(':memory:', SCHEMA);
  await measure('warm-up', warmUp);
  await warmUp.close();
  const dir = mkdtempSync(join(tmpdir(), 'storage-bench-'));
  try {
    for (const synchronous of ['full', 'normal'] as const) {
      const store = await openSqliteStore(join(dir, `${synchronous}.sqlite`), SCHEMA, { synchronous });
      console.log(await measure(`sqlite file, WAL, synchronous=${synchronous.toUpperCase()}`, store));
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const dexie = await openDexieStore('storage-bench', SCHEMA, { indexedDB, IDBKeyRange });
  console.log(
    await measure('dexie over fake-indexeddb (in memory, NOT representative of Chromium IndexedDB)', dexie),
  );
  await dexie.close();
}
