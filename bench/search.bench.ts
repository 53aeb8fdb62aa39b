// Server-side search (POST /search) as `p2p-matrix serve` runs it: SQLite,
// driven through handle() without HTTP.
//  - 100,000 messages (10 rooms; words drawn from a 5,000-word vocabulary
//    with Zipf frequencies, 6 to 14 words each) sent through the API, so the
//    index is written as in use; the load phase runs with synchronous NORMAL
//    to take minutes, not tens of minutes;
//  - search p50/p95 (rank and recent order, context of 1 before/after as
//    matrix-js-sdk asks) for a rare, a middling and a common word and for
//    two words;
//  - the index's cost on ingest: the time the index writes take, per
//    message, against the time a whole send takes; and its rows and bytes.
// Goal (issue 17): p50 ≤ 50 ms in Node. Run alone: `node bench/search.bench.ts`.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Homeserver } from '../src/core/homeserver.ts';
import { indexForSearch } from '../src/core/rooms/search-index.ts';
import { eventsTable, roomTableNames, SEARCH } from '../src/core/rooms/tables.ts';
import { SCHEMA } from '../src/core/schema.ts';
import { openSqliteStore } from '../src/node/storage/sqlite-store.ts';
import { benchHomeserver } from './bench-homeserver.ts';
import { measured } from './table.ts';

const EVENTS = Number(process.env.SEARCH_BENCH_EVENTS ?? 100_000);
const ROOMS = 10;
const VOCABULARY = 5_000;
const QUERIES = 30;

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field.
type Json = any;

/** A deterministic generator (mulberry32), so runs compare. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const word = (rank: number) => `w${rank.toString(36)}x`;

/** Zipf sampling over ranks 1..VOCABULARY (s = 1) by inverting the cumulative weights. */
function zipf(next: () => number) {
  const cumulative: number[] = [];
  let sum = 0;
  for (let r = 1; r <= VOCABULARY; r++) {
    sum += 1 / r;
    cumulative.push(sum);
  }
  return () => {
    const x = next() * sum;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}

async function call(hs: Homeserver, method: string, path: string, body: unknown, token?: string) {
  const res = await hs.handle({
    method,
    path,
    query: {},
    headers: token ? { authorization: `Bearer ${token}` } : {},
    body: new TextEncoder().encode(JSON.stringify(body)),
  });
  return res as { status: number; body: Json };
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const round = (ms: number) => Math.round(ms * 100) / 100;

export default async function searchBench(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'p2pm-search-bench-'));
  const path = join(dir, 'hs.sqlite');
  const store = await openSqliteStore(path, SCHEMA, { synchronous: 'normal' });
  const hs = await benchHomeserver(store);
  try {
    const first = await call(hs, 'POST', '/_matrix/client/v3/register', { username: 'alice', password: 'p' });
    const done = await call(hs, 'POST', '/_matrix/client/v3/register', {
      username: 'alice',
      password: 'p',
      auth: { type: 'm.login.dummy', session: first.body.session },
    });
    const token = done.body.access_token as string;
    const rooms: string[] = [];
    for (let i = 0; i < ROOMS; i++) {
      rooms.push((await call(hs, 'POST', '/_matrix/client/v3/createRoom', {}, token)).body.room_id);
    }
    const next = random(17);
    const draw = zipf(next);
    const t0 = performance.now();
    for (let i = 0; i < EVENTS; i++) {
      const words = Array.from({ length: 6 + Math.floor(next() * 9) }, () => word(draw()));
      const roomId = rooms[i % ROOMS]!;
      const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/b${i}`;
      const res = await call(hs, 'PUT', path, { msgtype: 'm.text', body: words.join(' ') }, token);
      if (res.status !== 200) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
    }
    const sendMs = (performance.now() - t0) / EVENTS;
    console.log(`sent ${EVENTS} messages: ${round(sendMs)} ms each (synchronous NORMAL)`);

    // The index's share: the same writes again for 5,000 of the events, timed alone.
    const sample = await store.read(roomTableNames, (tx) =>
      eventsTable.query(tx, { index: 'stream', limit: 5_000, reverse: true }),
    );
    const i0 = performance.now();
    await store.write(roomTableNames, async (tx) => {
      for (const row of sample) await indexForSearch(tx, row);
    });
    const indexMs = (performance.now() - i0) / sample.length;
    const rows = await store.read([SEARCH], (tx) => tx.count(SEARCH));
    const bytes = statSync(path).size;
    console.log(
      `index writes: ${round(indexMs * 1000)} µs per message (${Math.round((100 * indexMs) / sendMs)} % of a send); ${rows} index rows (${round(rows / EVENTS)} per message); database ${Math.round(bytes / 1e6)} MB`,
    );

    const figures: Record<string, number> = {
      sendMs: round(sendMs),
      indexUsPerMessage: round(indexMs * 1000),
      indexRows: rows,
    };
    const cases: [string, () => string][] = [
      ['rare', () => word(2000 + Math.floor(next() * 3000))],
      ['middling', () => word(50 + Math.floor(next() * 200))],
      ['common', () => word(1 + Math.floor(next() * 5))],
      ['two words', () => `${word(1 + Math.floor(next() * 50))} ${word(50 + Math.floor(next() * 500))}`],
    ];
    for (const order_by of ['rank', 'recent']) {
      for (const [name, term] of cases) {
        const times: number[] = [];
        let count = 0;
        for (let q = 0; q < QUERIES; q++) {
          const body = {
            search_categories: {
              room_events: {
                search_term: term(),
                order_by,
                event_context: { before_limit: 1, after_limit: 1, include_profile: true },
              },
            },
          };
          const s0 = performance.now();
          const res = await call(hs, 'POST', '/_matrix/client/v3/search', body, token);
          times.push(performance.now() - s0);
          if (res.status !== 200) throw new Error(`search: ${res.status} ${JSON.stringify(res.body)}`);
          count += res.body.search_categories.room_events.count;
        }
        times.sort((a, b) => a - b);
        console.log(
          `search ${order_by}, ${name}: p50 ${round(quantile(times, 0.5))} ms, p95 ${round(quantile(times, 0.95))} ms (${Math.round(count / QUERIES)} matches on average)`,
        );
        figures[`${order_by} ${name} p50 ms`] = round(quantile(times, 0.5));
      }
    }
    if (EVENTS >= 100_000)
      measured(
        'search.node.common.p50',
        Math.max(figures['rank common p50 ms']!, figures['recent common p50 ms']!),
      );
    return figures;
  } finally {
    await hs.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await searchBench();
