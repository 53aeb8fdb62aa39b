// One fuzz run against a real `p2p-matrix serve` process (the built CLI) with
// a --data directory, on a relay started here:
//  1. set up: users, a public room with an alias, a private room, a message,
//     an upload; a rogue peer (a libp2p node of its own) joins the public room;
//  2. the Client-Server fuzz (cs-fuzz.ts) over HTTP, then the federation fuzz
//     (fed-fuzz.ts) over the rogue's libp2p connection;
//  3. sends in flight, then kill -9 in the middle of them; the SQLite file it
//     left must hold the store's invariants and everything acknowledged
//     (invariants.ts); a restart on the same directory must answer, sync and
//     take a new message in every room.
// The seed is printed first, so `FUZZ_SEED=<seed>` reproduces a failure.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryNetwork } from '../../src/core/federation/memory-transport.ts';
import { SCHEMA } from '../../src/core/schema.ts';
import { createLibp2pTransport } from '../../src/node/p2p/create-libp2p-transport.ts';
import { startRelay } from '../../src/node/relay.ts';
import { systemClock } from '../../src/platform/system-clock.ts';
import { openSqliteStore } from '../../src/node/storage/sqlite-store.ts';
import type { Libp2pPeerTransport } from '../../src/platform/libp2p/libp2p-transport.ts';
import { type ServeProcess, startServe } from '../../scripts/harness/serve-process.ts';
import { rogueJoins, rogueOver } from '../core/federation/rogue-peer.ts';
import type { ClusterNode } from '../support/federated-cluster.ts';
import { createTestHomeserver } from '../support/hs-client.ts';
import { type Acknowledged, type Finding, type FuzzUser, type RouteShape, runCsFuzz } from './cs-fuzz.ts';
import { runFedFuzz } from './fed-fuzz.ts';
import { jsonCall } from './http-call.ts';
import { storeProblems } from './invariants.ts';
import { Rng } from './rng.ts';

const V3 = '/_matrix/client/v3';
const PASSWORD = 'correct horse battery staple';
const enc = encodeURIComponent;

export interface FuzzOptions {
  readonly seed: number;
  readonly csRequests: number;
  readonly fedInputs: number;
  /** Progress lines (the CLI prints them; the test keeps quiet). */
  readonly log?: (line: string) => void;
}

export interface FuzzReport {
  readonly seed: number;
  readonly csRequests: number;
  readonly fedInputs: number;
  readonly findings: Finding[];
  readonly statuses: Record<number, number>;
  readonly fedKinds: Record<string, number>;
  readonly acknowledged: number;
  /** Broken store rules and acknowledged writes lost, after the kill -9. */
  readonly storeProblems: string[];
  /** What went wrong after the restart (empty when the server came back whole). */
  readonly restartProblems: string[];
}

/** The routes of both APIs, read from a homeserver made in this process (with a network, so federation's exist). */
async function routeShapes(): Promise<{ cs: RouteShape[]; fed: { method: string; path: string }[] }> {
  const network = createMemoryNetwork(systemClock);
  const t = await createTestHomeserver({ transport: (name) => network.transport(name) });
  try {
    return { cs: [...t.hs.routes], fed: [...(t.hs.federation?.routes ?? [])] };
  } finally {
    await t.close();
  }
}

/** Loopback addresses for the harness's own calls, one per use, so the fuzz traffic's rate limits never stop them. */
let upkeepAddress = 0;
const nextUpkeepAddress = () =>
  `127.0.${1 + (Math.floor(upkeepAddress / 250) % 250)}.${1 + (upkeepAddress++ % 250)}`;

async function register(base: URL, username: string): Promise<FuzzUser> {
  const from = nextUpkeepAddress();
  const first = await jsonCall(
    base,
    'POST',
    `${V3}/register`,
    { username, password: PASSWORD },
    undefined,
    from,
  );
  const auth = { type: 'm.login.dummy', session: first.body.session };
  const res = await jsonCall(
    base,
    'POST',
    `${V3}/register`,
    { username, password: PASSWORD, auth },
    undefined,
    from,
  );
  if (res.status !== 200) throw new Error(`register ${username}: ${res.status} ${JSON.stringify(res.body)}`);
  return { userId: res.body.user_id, accessToken: res.body.access_token, deviceId: res.body.device_id };
}

async function login(base: URL, user: FuzzUser): Promise<void> {
  const res = await jsonCall(
    base,
    'POST',
    `${V3}/login`,
    { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password: PASSWORD },
    undefined,
    nextUpkeepAddress(),
  );
  if (res.status !== 200) throw new Error(`login ${user.userId}: ${res.status} ${JSON.stringify(res.body)}`);
  user.accessToken = res.body.access_token;
}

async function ok(base: URL, method: string, path: string, body: unknown, user: FuzzUser) {
  const res = await jsonCall(base, method, path, body, user.accessToken, nextUpkeepAddress());
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function connected(transport: Libp2pPeerTransport, serverName: string): Promise<void> {
  await new Promise<void>((resolve) => {
    const check = () => {
      if (transport.peers().includes(serverName)) resolve();
    };
    transport.onPeer(check);
    check();
  });
}

export async function runFuzzSession(options: FuzzOptions): Promise<FuzzReport> {
  const log = options.log ?? (() => {});
  const rng = new Rng(options.seed);
  log(`fuzz seed ${options.seed} (FUZZ_SEED=${options.seed} reproduces this run)`);
  const shapes = await routeShapes();
  const dataDir = mkdtempSync(join(tmpdir(), 'p2pm-fuzz-'));
  const relay = await startRelay();
  let server: ServeProcess | undefined;
  let rogueTransport: Libp2pPeerTransport | undefined;
  const serveArgs = ['--port', '0', '--data', dataDir, '--relay', relay.multiaddrs[0]!];
  try {
    server = await startServe(serveArgs);
    const running = server;
    const base = new URL(server.baseUrl);
    const crashed = () =>
      running.child.exitCode !== null || running.child.signalCode !== null
        ? `the server exited (${running.child.exitCode ?? running.child.signalCode}): ${running.stderr().slice(-2000)}`
        : undefined;

    // 1. The world the fuzzer works in.
    const alice = await register(base, 'alice');
    const bob = await register(base, 'bob');
    const carol = await register(base, 'carol');
    const users = [alice, bob, carol];
    const publicRoom = (
      await ok(
        base,
        'POST',
        `${V3}/createRoom`,
        { preset: 'public_chat', room_alias_name: 'fuzz', name: 'Fuzz' },
        alice,
      )
    ).room_id as string;
    const privateRoom = (
      await ok(base, 'POST', `${V3}/createRoom`, { preset: 'private_chat', invite: [bob.userId] }, alice)
    ).room_id as string;
    await ok(base, 'POST', `${V3}/join/${enc(publicRoom)}`, {}, bob);
    await ok(base, 'POST', `${V3}/join/${enc(privateRoom)}`, {}, bob);
    const message = (
      await ok(
        base,
        'PUT',
        `${V3}/rooms/${enc(publicRoom)}/send/m.room.message/setup1`,
        { msgtype: 'm.text', body: 'hello' },
        alice,
      )
    ).event_id as string;
    const filterId = (
      await ok(
        base,
        'POST',
        `${V3}/user/${enc(alice.userId)}/filter`,
        { room: { timeline: { limit: 5 } } },
        alice,
      )
    ).filter_id as string;

    const seedByte = 0x70 + rng.int(0, 15);
    rogueTransport = await createLibp2pTransport({
      seed: new Uint8Array(32).fill(seedByte),
      relays: relay.multiaddrs,
    });
    await connected(rogueTransport, server.serverName);
    const rogue = await rogueOver(rogueTransport, seedByte);
    rogue.serve(async () => ({ status: 404, body: { errcode: 'M_NOT_FOUND', error: 'nothing here' } }));
    // rogueJoins reads the room through `request` as alice would; this is that, over HTTP.
    const viaHttp = {
      serverName: server.serverName,
      request: (method: string, path: string, body?: unknown, token?: string) =>
        jsonCall(base, method, path, body, token, nextUpkeepAddress()),
    } as unknown as ClusterNode;
    const joined = await rogueJoins(rogue, viaHttp, alice.accessToken, publicRoom);

    const ctx = {
      known: {
        roomId: [publicRoom, privateRoom],
        alias: [`#fuzz:${server.serverName}`],
        userId: [...users.map((u) => u.userId), joined.userId],
        eventId: [message, joined.eventId],
        serverName: [server.serverName, rogue.serverName],
        deviceId: users.map((u) => u.deviceId),
        filterId: [filterId],
        mediaId: [],
      },
    };
    const ack: Acknowledged = {
      events: new Map([[message, publicRoom]]),
      rooms: new Set([publicRoom, privateRoom]),
    };
    const reviving = new Map<FuzzUser, Promise<void>>();
    const target = {
      base,
      routes: shapes.cs,
      users,
      ctx,
      crashed,
      revive: (user: FuzzUser) => {
        const pending = reviving.get(user) ?? login(base, user).finally(() => reviving.delete(user));
        reviving.set(user, pending);
        return pending;
      },
    };

    // 2. Client-Server, then federation.
    const started = Date.now();
    const cs = await runCsFuzz(rng.fork('cs'), target, options.csRequests, ack);
    log(
      `client-server: ${cs.requests} requests in ${Date.now() - started} ms, ${cs.findings.length} findings`,
    );
    for (const f of cs.findings) log(`FINDING ${f.problem}\n  ${f.request}`);
    const fedStarted = Date.now();
    const fed = crashed()
      ? { inputs: 0, findings: [], kinds: {} }
      : await runFedFuzz(
          rng.fork('fed'),
          {
            serverName: server.serverName,
            rogue,
            transport: rogueTransport,
            routes: shapes.fed,
            ctx,
            crashed,
            room: {
              roomId: publicRoom,
              userId: joined.userId,
              authEvents: [
                joined.facts.create,
                joined.facts.powerLevels,
                joined.facts.joinRules,
                joined.eventId,
              ],
              latest: joined.eventId,
              depth: 10,
            },
          },
          options.fedInputs,
          ack,
          log,
        );
    log(
      `federation: ${fed.inputs} inputs in ${Date.now() - fedStarted} ms (${JSON.stringify(fed.kinds)}), ${fed.findings.length} findings`,
    );
    const findings = [...cs.findings, ...fed.findings];
    for (const f of fed.findings) log(`FINDING ${f.problem}\n  ${f.request}`);

    // 3. kill -9 with sends in flight; what was acknowledged must be in the file.
    let storeIssues: string[] = [];
    const restartIssues: string[] = [];
    if (!crashed()) {
      for (const user of users) await target.revive(user);
      let n = 0;
      const sending = users.map(async (user) => {
        for (;;) {
          const room = user === carol ? publicRoom : rng.pick([publicRoom, privateRoom]);
          if (user === carol && n === 0)
            await ok(base, 'POST', `${V3}/join/${enc(publicRoom)}`, {}, carol).catch(() => {});
          const res = await jsonCall(
            base,
            'PUT',
            `${V3}/rooms/${enc(room)}/send/m.room.message/kill${n++}`,
            { msgtype: 'm.text', body: `before the kill ${n}` },
            user.accessToken,
            nextUpkeepAddress(),
          ).catch(() => undefined);
          if (!res) return;
          if (res.status === 200) ack.events.set(res.body.event_id, room);
        }
      });
      while (n < 30) await new Promise((r) => setTimeout(r, 5));
      await running.kill();
      await Promise.all(sending);
      const store = await openSqliteStore(join(dataDir, 'homeserver.sqlite'), SCHEMA);
      try {
        storeIssues = await storeProblems(store, ack);
      } finally {
        await store.close();
      }
      log(
        `kill -9: ${ack.events.size} events and ${ack.rooms.size} rooms acknowledged, ${storeIssues.length} store problems`,
      );

      server = await startServe(serveArgs);
      const again = new URL(server.baseUrl);
      for (const user of users) {
        const sync = await jsonCall(
          again,
          'GET',
          `${V3}/sync?timeout=0`,
          undefined,
          user.accessToken,
          nextUpkeepAddress(),
        );
        if (sync.status !== 200)
          restartIssues.push(`${user.userId}: /sync answered ${sync.status} after the restart`);
      }
      // The fuzz may have made users leave rooms: every setup room a user is still in takes their message.
      for (const user of users) {
        const joinedRooms = await jsonCall(
          again,
          'GET',
          `${V3}/joined_rooms`,
          undefined,
          user.accessToken,
          nextUpkeepAddress(),
        );
        for (const room of [publicRoom, privateRoom].filter((r) =>
          joinedRooms.body?.joined_rooms?.includes(r),
        )) {
          const path = `${V3}/rooms/${enc(room)}/send/m.room.message/after`;
          const res = await jsonCall(
            again,
            'PUT',
            path,
            { msgtype: 'm.text', body: 'after the restart' },
            user.accessToken,
            nextUpkeepAddress(),
          );
          if (res.status !== 200)
            restartIssues.push(
              `${user.userId}'s message into ${room} answered ${res.status} ${JSON.stringify(res.body)}`,
            );
        }
      }
      const fresh = await jsonCall(
        again,
        'POST',
        `${V3}/createRoom`,
        {},
        alice.accessToken,
        nextUpkeepAddress(),
      );
      if (fresh.status !== 200) restartIssues.push(`createRoom answered ${fresh.status} after the restart`);
    } else storeIssues = ['the server crashed during the run'];
    return {
      seed: options.seed,
      csRequests: cs.requests,
      fedInputs: fed.inputs,
      findings,
      statuses: Object.fromEntries(cs.statuses),
      fedKinds: fed.kinds,
      acknowledged: ack.events.size + ack.rooms.size,
      storeProblems: storeIssues,
      restartProblems: restartIssues,
    };
  } finally {
    await server?.stop();
    await rogueTransport?.close();
    await relay.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
