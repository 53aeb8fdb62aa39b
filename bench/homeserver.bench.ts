// The homeserver core as `p2p-matrix serve` runs it (SQLite, synchronous FULL,
// in a temporary directory), driven through handle() without HTTP:
//  - send → the other user's waiting /sync returns it: p50/p95 over 1,000 messages;
//  - events persisted per second (sequential sends of one user);
//  - initial sync of a user in 100 rooms × 100 events;
//  - /messages pagination: ms per page of 100 events.
// Goals (issue 3): send→sync p50 ≤ 5 ms, initial sync ≤ 250 ms.
// Run alone: `node bench/homeserver.bench.ts`.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SCHEMA } from '../src/core/schema.ts';
import { openSqliteStore } from '../src/node/storage/sqlite-store.ts';
import { Client, type User, benchHomeserver, quantile, round, sendToSync } from './bench-homeserver.ts';
import { measured, quick } from './table.ts';

const MESSAGES = quick ? 200 : 1000;
const ROOMS = 100;
/** 100 × 100 is the goal's room set; `--quick` fills 100 rooms with 30 events each. */
const EVENTS_PER_ROOM = quick ? 30 : 100;
const INITIAL_SYNCS = 10;
const PAGE = 100;

async function fillRooms(client: Client, user: User): Promise<{ rooms: string[]; perSecond: number }> {
  const rooms: string[] = [];
  let sent = 0;
  const t0 = performance.now();
  for (let r = 0; r < ROOMS; r++) {
    const roomId = (await client.call('POST', '/_matrix/client/v3/createRoom', { name: `room ${r}` }, user))
      .room_id;
    rooms.push(roomId);
    for (let e = 0; e < EVENTS_PER_ROOM; e++, sent++) await client.send(user, roomId, `event ${e}`);
  }
  return { rooms, perSecond: Math.round(sent / ((performance.now() - t0) / 1000)) };
}

async function initialSync(client: Client, user: User): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < INITIAL_SYNCS; i++) {
    const t0 = performance.now();
    const body = await client.sync(user, { timeout: '0', set_presence: 'offline' });
    times.push(performance.now() - t0);
    if (Object.keys(body.rooms.join).length !== ROOMS) throw new Error('bench: initial sync missed rooms');
  }
  times.sort((a, b) => a - b);
  return round(quantile(times, 0.5));
}

async function paginate(client: Client, user: User, roomId: string): Promise<number> {
  const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages`;
  let from: string | undefined;
  let pages = 0;
  const t0 = performance.now();
  for (;;) {
    const body = await client.call('GET', path, undefined, user, {
      dir: 'b',
      limit: String(PAGE),
      ...(from ? { from } : {}),
    });
    pages++;
    if (!body.end || body.chunk.length === 0) break;
    from = body.end;
  }
  return round((performance.now() - t0) / pages);
}

export default async function homeserverBench(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'p2pm-hs-bench-'));
  const store = await openSqliteStore(join(dir, 'hs.sqlite'), SCHEMA);
  const hs = await benchHomeserver(store);
  const client = new Client(hs);
  try {
    const alice = await client.register('alice');
    const bob = await client.register('bob');
    const roomId = (
      await client.call('POST', '/_matrix/client/v3/createRoom', { invite: [bob.userId] }, alice)
    ).room_id;
    await client.call('POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {}, bob);
    const latency = await sendToSync(client, hs, alice, bob, roomId, MESSAGES);
    console.log(
      `send → other user's /sync: p50 ${latency.p50} ms, p95 ${latency.p95} ms (${MESSAGES} messages)`,
    );

    const carol = await client.register('carol');
    const filled = await fillRooms(client, carol);
    console.log(
      `events persisted: ${filled.perSecond}/s (sequential sends, ${ROOMS * EVENTS_PER_ROOM} events)`,
    );
    const initial = await initialSync(client, carol);
    console.log(`initial sync, ${ROOMS} rooms × ${EVENTS_PER_ROOM} events: p50 ${initial} ms`);
    const page = await paginate(client, alice, roomId);
    console.log(`/messages: ${page} ms per page of ${PAGE} events`);
    measured('hs.send-sync.p50', latency.p50);
    measured('hs.initial-sync.100x100', initial);
    return {
      sendToSyncP50: latency.p50,
      sendToSyncP95: latency.p95,
      eventsPerSecond: filled.perSecond,
      initialSyncMs: initial,
      messagesPageMs: page,
    };
  } finally {
    await hs.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await homeserverBench();
