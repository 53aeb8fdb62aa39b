// What one IndexedDB request costs in the extension's service worker, in
// real Chromium with the built dist/chrome (issue 13: why the extension's
// ingest is far from 3,000 PDUs/s). A received transaction of 50 messages is
// placed with one write transaction today, but one `add` per event row: 53
// requests. Here the same 50 event-shaped rows (sizes and fields as a
// federated m.room.message has them) are written, 50 to a transaction, in
// a scratch database of the worker's origin, in turns:
//  - as 50 adds into a table with the event table's indexes (today's shape,
//    the indexes taken from the schema itself);
//  - as 50 adds into a table without indexes;
//  - as 50 adds of rows holding only their key;
//  - as one add of one record holding the 50 rows;
//  - as one add of one record holding the 50 rows and, as multiEntry
//    indexes, every key the rows have in the event table's indexes and
//    their event ids (what a table of packed rows would index).
// Figures: each shape's transaction p50, from the first request to
// `complete`, and the ratios of today's shape to the one record, bare and
// indexed: what is per request rather than per byte or per index key, and
// what storing a transaction's rows as one record would save.
// `--quick`: 40 transactions of each (else 200). Prints "skipped" without
// Chromium or a build. Run alone: `node bench/run.ts idb-requests`.
import { loadavg } from 'node:os';
import { EVENTS, roomSearchRowTables } from '../src/core/rooms/tables.ts';
import { indexPath } from '../src/core/storage/key-path.ts';
import { launchExtensionBrowser, removeProfile } from '../scripts/harness/extension-browser.ts';
import { quantile } from './bench-homeserver.ts';
import { extensionMissing } from './extension-missing.ts';
import { measured, quick } from './table.ts';

const ROUNDS = quick ? 40 : 200;
const PER_TRANSACTION = 50;

/** The shapes written, in turns; `indexed` tables carry the event table's indexes. */
const SHAPES = ['indexed', 'unindexed', 'keys only', 'one record', 'one record, indexed'] as const;
type Shape = (typeof SHAPES)[number];

interface IndexSpec {
  readonly name: string;
  readonly path: string | readonly string[];
  readonly multiEntry: boolean;
}

export default async function idbRequestsBench(): Promise<Record<string, number> | undefined> {
  const missing = extensionMissing();
  if (missing) {
    console.log(missing);
    return undefined;
  }
  const indexes: IndexSpec[] = Object.entries(roomSearchRowTables[EVENTS]!.indexes ?? {}).map(
    ([name, given]) => ({ name, ...indexPath(given) }),
  );
  const browser = await launchExtensionBrowser();
  try {
    const times = await browser.worker.evaluate(measureInWorker, {
      indexes,
      shapes: [...SHAPES],
      rounds: ROUNDS,
      perTransaction: PER_TRANSACTION,
    });
    for (const shape of SHAPES) times[shape]!.sort((a, b) => a - b);
    const p50 = (shape: Shape) => quantile(times[shape]!, 0.5);
    console.log(
      `IndexedDB write transactions of ${PER_TRANSACTION} rows in the service worker, ${ROUNDS} of each, load ${loadavg()[0]!.toFixed(1)}:`,
    );
    for (const shape of SHAPES) {
      console.log(
        `  ${shape.padEnd(10)} p50 ${p50(shape).toFixed(2)} ms, p95 ${quantile(times[shape]!, 0.95).toFixed(2)} ms`,
      );
    }
    // The table's row: what packing a transaction's rows into one record would save, index keys and all.
    const ratio = p50('indexed') / p50('one record, indexed');
    measured('idb.requests.ratio', ratio);
    return {
      [`${PER_TRANSACTION} event rows as ${PER_TRANSACTION} adds ÷ as one record, p50`]:
        p50('indexed') / p50('one record'),
      [`${PER_TRANSACTION} event rows as ${PER_TRANSACTION} adds ÷ as one record with every index key, p50`]:
        ratio,
      [`${PER_TRANSACTION} adds of rows holding only their key ÷ one record, p50`]:
        p50('keys only') / p50('one record'),
    };
  } finally {
    await browser.close();
    removeProfile(browser.profileDir);
  }
}

/** The part of IndexedDB used below (the Node side's types have no DOM). */
interface Idb {
  open(name: string, version: number): IdbOpen;
  deleteDatabase(name: string): unknown;
}
interface IdbOpen {
  readonly result: IdbDatabase;
  readonly error: unknown;
  onupgradeneeded: (() => void) | null;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
interface IdbDatabase {
  createObjectStore(name: string, options: { keyPath: string }): IdbStore;
  transaction(name: string, mode: 'readwrite'): IdbTransaction;
  close(): void;
}
interface IdbStore {
  createIndex(name: string, path: string | readonly string[], options: { multiEntry: boolean }): unknown;
  add(value: unknown): unknown;
}
interface IdbTransaction {
  objectStore(name: string): IdbStore;
  readonly error: unknown;
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
}

/** Runs in the service worker (serialised by Playwright: nothing from outside but its argument). */
async function measureInWorker(args: {
  indexes: IndexSpec[];
  shapes: string[];
  rounds: number;
  perTransaction: number;
}): Promise<Record<string, number[]>> {
  const { indexes, shapes, rounds, perTransaction } = args;
  const id = (c: string) => `$${c.repeat(43)}`;
  const server = 'f'.repeat(64);
  let next = 0;
  // A federated message's row: the PDU with its three auth events, one prev event,
  // hashes and one signature, and the columns the event table indexes.
  const row = () => {
    const n = next++;
    const eventId = `$${n.toString(36).padStart(43, '_')}`;
    const pdu = {
      auth_events: [id('a'), id('b'), id('c')],
      content: { msgtype: 'm.text', body: `message ${n} of the bench` },
      depth: 10 + n,
      hashes: { sha256: 'h'.repeat(43) },
      origin_server_ts: 1_764_800_000_000 + n,
      prev_events: [id('p')],
      room_id: `!${'r'.repeat(43)}`,
      sender: `@alice:${server}`,
      signatures: { [server]: { 'ed25519:p2p': 's'.repeat(86) } },
      type: 'm.room.message',
      unsigned: { age_ts: 1_764_800_000_000 + n },
      event_id: eventId,
    };
    return {
      event_id: eventId,
      room_id: pdu.room_id,
      stream: n,
      depth: pdu.depth,
      type: pdu.type,
      sender: pdu.sender,
      ts: pdu.origin_server_ts,
      pdu,
      sg_before: 7,
      sg_after: 7,
      search: ['message', String(n), 'of', 'the', 'bench'].map((term) => [1, term, n]),
    };
  };
  const name = `p2pm-bench-idb-requests-${Date.now()}`;
  const { indexedDB } = globalThis as unknown as { indexedDB: Idb };
  const db = await new Promise<IdbDatabase>((resolve, reject) => {
    const open = indexedDB.open(name, 1);
    open.onupgradeneeded = () => {
      for (const shape of shapes) {
        const packed = shape.startsWith('one record');
        const store = open.result.createObjectStore(shape, { keyPath: packed ? 'id' : 'event_id' });
        if (shape === 'indexed')
          for (const index of indexes)
            store.createIndex(index.name, index.path, { multiEntry: index.multiEntry });
        if (shape === 'one record, indexed') {
          store.createIndex('event_id', 'event_id', { multiEntry: true });
          for (const index of indexes) store.createIndex(index.name, index.name, { multiEntry: true });
        }
      }
    };
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  // Each index's keys of every row, as one array per index (a compound path's key is an array).
  const keyOf = (r: Record<string, unknown>, path: string | readonly string[]) =>
    typeof path === 'string' ? r[path] : path.map((step) => r[step]);
  const packedRecord = (rows: ReturnType<typeof row>[]) => {
    const record: Record<string, unknown> = {
      id: rows[0]!.event_id,
      rows,
      event_id: rows.map((r) => r.event_id),
    };
    for (const index of indexes) {
      const keys = rows
        .map((r) => keyOf(r, index.path))
        .filter((key) => !(Array.isArray(key) && key.includes(undefined)) && key !== undefined);
      record[index.name] = index.multiEntry ? keys.flat() : keys;
    }
    return record;
  };
  const once = async (shape: string): Promise<number> => {
    const rows = Array.from({ length: perTransaction }, row);
    const started = performance.now();
    const tx = db.transaction(shape, 'readwrite');
    const store = tx.objectStore(shape);
    if (shape === 'one record') store.add({ id: rows[0]!.event_id, rows });
    else if (shape === 'one record, indexed') store.add(packedRecord(rows));
    else for (const r of rows) store.add(shape === 'keys only' ? { event_id: r.event_id } : r);
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
    return performance.now() - started;
  };
  const times: Record<string, number[]> = Object.fromEntries(shapes.map((s) => [s, []]));
  // A warm-up round, then the shapes in turns, so that the machine's load falls on each alike.
  for (const shape of shapes) await once(shape);
  for (let round = 0; round < rounds; round++)
    for (const shape of shapes) times[shape]!.push(await once(shape));
  db.close();
  indexedDB.deleteDatabase(name);
  return times;
}

if (import.meta.main) console.log(await idbRequestsBench());
