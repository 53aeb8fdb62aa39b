// Joining a big room held by another peer (issue 13), Node ↔ Node over
// libp2p websockets through a relay (bench/libp2p-pair.ts): peer A holds a
// room of 1,000 members and 10,000 events with state churn (members
// renaming themselves, topic and power level changes, some leaving and
// coming back), made by `bigRoom`; a user on peer B joins, and the figure
// is the time from the join request until B's /messages shows the first
// page of history (20 messages from before the join). `--quick`: 200
// members, 2,000 events. Making the room takes minutes on shared cores:
// with P2PM_BIG_ROOM_DB=<file>, A's store is made there once and each run
// starts from a copy of it.
// Run alone: `node bench/run.ts big-room`.
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCHEMA } from '../src/core/schema.ts';
import type { Store } from '../src/core/storage/port.ts';
import { openSqliteStore } from '../src/node/storage/sqlite-store.ts';
import type { Account, RunningNode } from '../test/support/federated-cluster.ts';
import { joinToFirstPage, startLibp2pPair } from './libp2p-pair.ts';
import { measured, quick } from './table.ts';

export const MEMBERS = quick ? 200 : 1_000;
export const EVENTS = quick ? 2_000 : 10_000;
const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

export interface BigRoom {
  readonly roomId: string;
  readonly members: readonly Account[];
  /** Events in the room's DAG (creation included). */
  readonly events: number;
}

/**
 * On `node`: a public room of `members` local users and about `events`
 * events. Every member joins; then, until the room has its events, mostly
 * messages from members in turn, and every 10th event a state change: a
 * member's new display name, a member leaving and joining again, a new
 * topic, or the power levels giving a member a level.
 */
export async function bigRoom(node: RunningNode, members: number, events: number): Promise<BigRoom> {
  const ok = async (what: string, reply: Promise<{ status: number; body: unknown }>) => {
    const res = await reply;
    if (res.status !== 200) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as Record<string, unknown>;
  };
  const creator = await node.register('creator');
  const roomId = (
    await ok(
      'createRoom',
      node.request('POST', `${V3}/createRoom`, { preset: 'public_chat' }, creator.accessToken),
    )
  ).room_id as string;
  const room = `${V3}/rooms/${enc(roomId)}`;
  const people: Account[] = [creator];
  for (let i = 1; i < members; i++) {
    const member = await node.register(`member${i}`);
    await ok('join', node.request('POST', `${V3}/join/${enc(roomId)}`, {}, member.accessToken));
    people.push(member);
  }
  let count = 5 + members; // creation (create, creator's join, power levels, join rules, history visibility) and joins
  for (let i = 0; count < events; i++, count++) {
    const who = people[i % people.length]!;
    const token = who.accessToken;
    if (i % 10 !== 9) {
      await ok(
        'send',
        node.request(
          'PUT',
          `${room}/send/m.room.message/m${i}`,
          { msgtype: 'm.text', body: `message ${i}` },
          token,
        ),
      );
      continue;
    }
    const churn = (i / 10) % 4;
    if (churn < 1 || who === creator) {
      const content = { membership: 'join', displayname: `member ${i}` };
      await ok(
        'rename',
        node.request('PUT', `${room}/state/m.room.member/${enc(who.userId)}`, content, token),
      );
    } else if (churn < 2) {
      await ok('leave', node.request('POST', `${room}/leave`, {}, token));
      await ok('rejoin', node.request('POST', `${V3}/join/${enc(roomId)}`, {}, token));
      count++;
    } else if (churn < 3) {
      await ok(
        'topic',
        node.request('PUT', `${room}/state/m.room.topic`, { topic: `topic ${i}` }, creator.accessToken),
      );
    } else {
      const current = await ok(
        'levels',
        node.request('GET', `${room}/state/m.room.power_levels`, undefined, creator.accessToken),
      );
      const users = { ...(current.users as Record<string, number>), [who.userId]: 10 + (i % 40) };
      await ok(
        'set levels',
        node.request('PUT', `${room}/state/m.room.power_levels`, { ...current, users }, creator.accessToken),
      );
    }
  }
  // The last 20 events are messages, the first page a joiner shows.
  for (let i = 0; i < 20; i++, count++)
    await ok(
      'send',
      node.request(
        'PUT',
        `${room}/send/m.room.message/last${i}`,
        { msgtype: 'm.text', body: `last ${i}` },
        creator.accessToken,
      ),
    );
  return { roomId, members: people, events: count };
}

/** The label of the Node peer holding the room (its store is kept under it). */
export const HOLDER = 'ba';
const LABELS = [HOLDER, 'bb'] as const;
const openFileStore = (path: string) => openSqliteStore(path, SCHEMA, { synchronous: 'normal' });

export interface SavedRoom {
  /** A copy of the store that holds the room, for HOLDER. */
  readonly store: Store;
  readonly room: BigRoom;
  /** Deletes the copy (once its store is closed). */
  remove(): void;
}

/** HOLDER's store holding the room (see the header) and the room, or undefined: make it in memory. */
export async function savedRoom(): Promise<SavedRoom | undefined> {
  const saved = process.env.P2PM_BIG_ROOM_DB;
  if (saved === undefined) return undefined;
  const about = `${saved}.${MEMBERS}x${EVENTS}.json`;
  const file = `${saved}.${MEMBERS}x${EVENTS}`;
  if (!existsSync(about)) {
    rmSync(file, { force: true });
    const made = await startLibp2pPair(LABELS, [await openFileStore(file)]);
    try {
      writeFileSync(about, JSON.stringify(await makeRoom(made.a)));
    } finally {
      await made.close();
    }
  }
  const copy = join(tmpdir(), `p2pm-big-room-${process.pid}.sqlite`);
  copyFileSync(file, copy);
  return {
    store: await openFileStore(copy),
    room: JSON.parse(readFileSync(about, 'utf8')),
    remove: () => {
      for (const suffix of ['', '-wal', '-shm']) rmSync(copy + suffix, { force: true });
    },
  };
}

export async function makeRoom(a: RunningNode): Promise<BigRoom> {
  const t0 = performance.now();
  const room = await bigRoom(a, MEMBERS, EVENTS);
  console.log(
    `made on A: ${MEMBERS} members, ${room.events} events in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  return room;
}

export default async function bigRoomBench(): Promise<Record<string, number>> {
  const saved = await savedRoom();
  const { a, b, close } = await startLibp2pPair(LABELS, [saved?.store]);
  try {
    const room = saved?.room ?? (await makeRoom(a));
    const joiner = await b.register('joiner');
    const cpu = process.cpuUsage();
    const first = await joinToFirstPage(b, joiner, room.roomId, a.serverName);
    const { user, system } = process.cpuUsage(cpu);
    measured('join.big.node', first.firstPageMs);
    return {
      [`join of a ${MEMBERS}-member, ${room.events}-event room, Node ↔ Node (ms)`]: first.joinMs,
      'join → first page of history shown (ms)': first.firstPageMs,
      // Both peers run in this process: what the join costs whatever the load (the main thread and WebCrypto's).
      'CPU of both peers meanwhile (ms)': (user + system) / 1000,
    };
  } finally {
    await close();
    saved?.remove();
  }
}

if (import.meta.main) console.log(await bigRoomBench());
