// Memory (issue 13): the built `p2p-matrix serve` as a child process over a
// data directory holding 100 rooms × 1,000 events (written beforehand in bulk
// by bulk-rooms.ts over the same SQLite file, so that the process measured
// starts from disk as after a restart), then driven over HTTP as a client would use
// it: an initial sync of the user in every room, every room paged back to
// its creation with /messages, a message sent into each room and synced.
// The figure is the process's peak resident set (VmHWM). `--quick`: 20 rooms
// × 200 events. Prints "skipped" without a build (`npm run build`).
// Run alone: `node bench/run.ts memory` (which runs worker-memory.bench.ts too).

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startServe } from '../scripts/harness/serve-process.ts';
import { SCHEMA } from '../src/core/schema.ts';
import { openSqliteStore } from '../src/node/storage/sqlite-store.ts';
import { Client, type Json, type User, benchHomeserver } from './bench-homeserver.ts';
import { bulkRooms } from './bulk-rooms.ts';
import { measured, quick } from './table.ts';

const ROOMS = quick ? 20 : 100;
const EVENTS = quick ? 200 : 1_000;
const CLI = new URL('../dist/node/p2p-matrix.js', import.meta.url);

/** The data directory: one user in ROOMS rooms of EVENTS messages each (bulk-rooms.ts); their access token. */
async function fill(dir: string): Promise<User & { rooms: string[] }> {
  const store = await openSqliteStore(join(dir, 'homeserver.sqlite'), SCHEMA, { synchronous: 'normal' });
  const hs = await benchHomeserver(store);
  try {
    const user = await new Client(hs).register('alice');
    return { ...user, rooms: await bulkRooms(store, user.userId, ROOMS, EVENTS) };
  } finally {
    await hs.close();
    await store.close();
  }
}

/** Peak and current resident set of a process, MB (Linux /proc). */
function residentMB(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { peak: kb('VmHWM') / 1024, now: kb('VmRSS') / 1024 };
}

export default async function memoryBench(): Promise<Record<string, number> | undefined> {
  if (!existsSync(CLI)) {
    console.log('skipped: run npm run build first');
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'p2pm-memory-'));
  try {
    const t0 = performance.now();
    const user = await fill(dir);
    console.log(
      `filled ${ROOMS} rooms × ${EVENTS} events in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    );
    const serve = await startServe(['--data', dir, '--port', String(await freePort())]);
    try {
      const pid = serve.child.pid!;
      const started = residentMB(pid);
      const call = async (method: string, path: string, body?: unknown): Promise<Json> => {
        const res = await fetch(`${serve.baseUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
        return res.json();
      };
      const initial = await call('GET', '/_matrix/client/v3/sync?timeout=0');
      if (Object.keys(initial.rooms?.join ?? {}).length !== ROOMS)
        throw new Error('initial sync missed rooms');
      let paged = 0;
      for (const roomId of user.rooms) {
        let from: string | undefined;
        for (;;) {
          const query = `dir=b&limit=100${from ? `&from=${encodeURIComponent(from)}` : ''}`;
          const page = await call(
            'GET',
            `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?${query}`,
          );
          paged += page.chunk.length;
          if (!page.end || page.chunk.length === 0) break;
          from = page.end;
        }
      }
      let since = initial.next_batch;
      for (const [i, roomId] of user.rooms.entries()) {
        await call(
          'PUT',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/m${i}`,
          {
            msgtype: 'm.text',
            body: `after restart ${i}`,
          },
        );
        since = (await call('GET', `/_matrix/client/v3/sync?timeout=0&since=${encodeURIComponent(since)}`))
          .next_batch;
      }
      const end = residentMB(pid);
      console.log(
        `serve RSS: ${started.now.toFixed(0)} MB started, ${end.now.toFixed(0)} MB after an initial sync, ${paged} events paged and ${ROOMS} sends; peak ${end.peak.toFixed(0)} MB`,
      );
      measured('memory.serve-rss', end.peak);
      return {
        'serve RSS at start (MB)': started.now,
        'serve RSS at the end (MB)': end.now,
        'serve peak RSS (MB)': end.peak,
      };
    } finally {
      await serve.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log(await memoryBench());
