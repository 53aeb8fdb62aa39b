// Three `p2p-matrix serve` peers and a relay as separate processes over real
// libp2p on loopback (the built CLI: `npm run build` first), used the way
// people would: a public room found through the network directory and joined
// by alias, an invite, a peer that crashes and comes back to catch up from
// whoever is still online, and matrix-js-sdk clients on two peers.
//
// Every wait is bounded by a hang guard (a broken build fails instead of
// hanging); none of them is a timing assertion.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type MatrixClient, type MatrixEvent, type Room, RoomEvent, RoomMemberEvent } from 'matrix-js-sdk';
import { FOUND_ON } from '../../src/core/federation/directory/federation-directory.ts';
import { eventually, registerUser, startedClient, waitFor } from '../support/js-sdk.ts';
import {
  freePort,
  type RelayProcess,
  type ServeProcess,
  startRelayProcess,
  startServe,
} from '../../scripts/harness/serve-process.ts';

const V3 = '/_matrix/client/v3';
const HANG_GUARD_MS = 30_000;
const enc = encodeURIComponent;

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field, as a client would.
type Json = any;

interface User {
  readonly userId: string;
  readonly accessToken: string;
}

/** One HTTP call to a peer's client API, as any Matrix client makes it. */
async function call(base: string, method: string, path: string, body?: unknown, user?: User) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (user) headers.authorization = `Bearer ${user.accessToken}`;
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Json };
}

/** Polls `check` (async) until it returns a value; the bound is a hang guard only. */
async function until<T>(what: string, check: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + HANG_GUARD_MS;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`hang guard: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Bodies of the latest messages of a room as `user` sees them (GET /messages, newest first). */
async function messageBodies(base: string, roomId: string, user: User): Promise<string[]> {
  const res = await call(base, 'GET', `${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=100`, undefined, user);
  if (res.status !== 200) return [];
  return res.body.chunk
    .filter((e: Json) => e.type === 'm.room.message')
    .map((e: Json) => e.content.body as string);
}

let txn = 0;
async function say(base: string, roomId: string, user: User, body: string): Promise<string> {
  const path = `${V3}/rooms/${enc(roomId)}/send/m.room.message/t${++txn}`;
  const res = await call(base, 'PUT', path, { msgtype: 'm.text', body }, user);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.event_id;
}

const sees = (base: string, roomId: string, user: User, ...bodies: string[]) =>
  until(`${user.userId} sees ${bodies.join(', ')}`, async () => {
    const seen = await messageBodies(base, roomId, user);
    return bodies.every((b) => seen.includes(b));
  });

describe('a network of three serve peers and a relay', () => {
  const dirs: string[] = [];
  let relay: RelayProcess;
  let a: ServeProcess;
  let b: ServeProcess;
  let c: ServeProcess;
  let cPort: number;
  let cData: string;
  let alice: User;
  let bob: User;
  let carol: User;
  let roomId: string;
  const clients: MatrixClient[] = [];

  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'p2pm-net-'));
    dirs.push(dir);
    return dir;
  };
  const servePeer = (data: string, port = 0) =>
    startServe(['--port', String(port), '--data', data, '--relay', relay.multiaddrs[0]!]);

  before(async () => {
    relay = await startRelayProcess();
    cPort = await freePort();
    cData = tempDir();
    [a, b, c] = await Promise.all([servePeer(tempDir()), servePeer(tempDir()), servePeer(cData, cPort)]);
    [alice, bob, carol] = await Promise.all([
      registerUser(a.baseUrl, 'alice'),
      registerUser(b.baseUrl, 'bob'),
      registerUser(c.baseUrl, 'carol'),
    ]);
  });

  after(async () => {
    for (const client of clients) client.stopClient();
    await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
    await relay?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('each peer prints its libp2p addresses, named by its server key', () => {
    for (const peer of [a, b, c]) {
      assert.ok(peer.p2pAddrs.length > 0, 'a `p2p <multiaddr>` line');
      for (const addr of peer.p2pAddrs)
        assert.match(addr, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/12D3Koo/);
    }
  });

  test('B finds the public room A created through the network directory and joins it by alias', async () => {
    const created = await call(
      a.baseUrl,
      'POST',
      `${V3}/createRoom`,
      { visibility: 'public', preset: 'public_chat', room_alias_name: 'lobby', name: 'Lobby' },
      alice,
    );
    assert.equal(created.status, 200, JSON.stringify(created.body));
    roomId = created.body.room_id;
    const alias = `#lobby:${a.serverName}`;

    // Discovery through the relay, then the directory of every reachable peer.
    const entry = await until('the room in B’s network directory', async () => {
      const res = await call(b.baseUrl, 'POST', `${V3}/publicRooms`, { limit: 20 }, bob);
      return res.body?.chunk?.find((r: Json) => r.room_id === roomId);
    });
    assert.equal(entry.name, 'Lobby');
    assert.equal(entry.canonical_alias, alias);
    // The same listing from the third peer, which has no room of its own.
    await until('the room in C’s network directory', async () => {
      const res = await call(c.baseUrl, 'GET', `${V3}/publicRooms`);
      return res.body?.chunk?.some((r: Json) => r.room_id === roomId);
    });

    const resolved = await call(b.baseUrl, 'GET', `${V3}/directory/room/${enc(alias)}`);
    assert.equal(resolved.status, 200);
    assert.equal(resolved.body.room_id, roomId);
    assert.ok(resolved.body.servers.includes(a.serverName));

    const joined = await call(b.baseUrl, 'POST', `${V3}/join/${enc(alias)}`, {}, bob);
    assert.equal(joined.status, 200, `join by alias: ${JSON.stringify(joined.body)}`);
    assert.equal(joined.body.room_id, roomId);

    // Local aliases: B now publishes the room under its own name too.
    const mirrored = await call(b.baseUrl, 'GET', `${V3}/directory/room/${enc(`#lobby:${b.serverName}`)}`);
    assert.equal(mirrored.body.room_id, roomId);
    // Remote profiles come over query/profile.
    const profile = await call(b.baseUrl, 'GET', `${V3}/profile/${enc(alice.userId)}`);
    assert.equal(profile.status, 200);
  });

  test('a custom profile field (spec v1.16) set on A is read by a client of B over query/profile', async () => {
    const key = 'org.example.pronouns';
    const put = await call(
      a.baseUrl,
      'PUT',
      `${V3}/profile/${enc(alice.userId)}/${key}`,
      { [key]: 'she/her' },
      alice,
    );
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const one = await call(b.baseUrl, 'GET', `${V3}/profile/${enc(alice.userId)}/${key}`, undefined, bob);
    assert.deepEqual([one.status, one.body], [200, { [key]: 'she/her' }]);
    const whole = await call(b.baseUrl, 'GET', `${V3}/profile/${enc(alice.userId)}`, undefined, bob);
    assert.equal(whole.body[key], 'she/her');
    const unset = await call(b.baseUrl, 'GET', `${V3}/profile/${enc(alice.userId)}/m.tz`, undefined, bob);
    assert.deepEqual([unset.status, unset.body.errcode], [404, 'M_NOT_FOUND']);
  });

  test('C is invited, joins, and messages flow both ways', async () => {
    const invited = await call(
      a.baseUrl,
      'POST',
      `${V3}/rooms/${enc(roomId)}/invite`,
      { user_id: carol.userId },
      alice,
    );
    assert.equal(invited.status, 200, JSON.stringify(invited.body));
    await until('the invite in carol’s sync', async () => {
      const res = await call(c.baseUrl, 'GET', `${V3}/sync?timeout=0`, undefined, carol);
      return res.body?.rooms?.invite?.[roomId] !== undefined;
    });
    const joined = await call(c.baseUrl, 'POST', `${V3}/rooms/${enc(roomId)}/join`, {}, carol);
    assert.equal(joined.status, 200, JSON.stringify(joined.body));

    await say(a.baseUrl, roomId, alice, 'hello from A');
    await sees(c.baseUrl, roomId, carol, 'hello from A');
    await sees(b.baseUrl, roomId, bob, 'hello from A');
    await say(c.baseUrl, roomId, carol, 'hello from C');
    await sees(a.baseUrl, roomId, alice, 'hello from C');
    await sees(b.baseUrl, roomId, bob, 'hello from C');
  });

  test('C crashes; A and B keep talking; A leaves; C comes back and gets what it missed from B', async () => {
    await c.kill();
    // What C will dial again when it comes back, written as it met its peers.
    const known = JSON.parse(readFileSync(join(cData, 'known-peers.json'), 'utf8')) as {
      serverName: string;
    }[];
    assert.ok(known.some((peer) => peer.serverName === b.serverName));
    await say(a.baseUrl, roomId, alice, 'A while C is down');
    await sees(b.baseUrl, roomId, bob, 'A while C is down');
    await say(b.baseUrl, roomId, bob, 'B while C is down');
    await sees(a.baseUrl, roomId, alice, 'B while C is down');
    await a.stop();

    c = await servePeer(cData, cPort);
    await sees(c.baseUrl, roomId, carol, 'A while C is down', 'B while C is down');
    // The conversation goes on without A.
    await say(c.baseUrl, roomId, carol, 'C is back');
    await sees(b.baseUrl, roomId, bob, 'C is back');
  });

  test('with A gone, the room stays discoverable through the peers that joined it', async () => {
    const entry = await until('the room in C’s network directory, listed by B', async () => {
      const res = await call(c.baseUrl, 'GET', `${V3}/publicRooms`);
      const found = res.body?.chunk?.find((r: Json) => r.room_id === roomId);
      return found?.[FOUND_ON]?.includes(b.serverName) && found;
    });
    assert.equal(entry.canonical_alias, `#lobby:${a.serverName}`);
    const viaB = await call(c.baseUrl, 'GET', `${V3}/directory/room/${enc(`#lobby:${b.serverName}`)}`);
    assert.equal(viaB.body.room_id, roomId);
    // A's own alias still resolves: A cannot answer, so the peers' directories do.
    const orphan = await call(c.baseUrl, 'GET', `${V3}/directory/room/${enc(`#lobby:${a.serverName}`)}`);
    assert.equal(orphan.status, 200);
    assert.equal(orphan.body.room_id, roomId);
    assert.ok(orphan.body.servers.includes(b.serverName));
  });

  test('matrix-js-sdk clients on two peers see each other’s messages, typing and receipts', async () => {
    const dave = await startedClient(b.baseUrl, 'dave');
    clients.push(dave);
    const erin = await startedClient(c.baseUrl, 'erin');
    clients.push(erin);
    const erinInvited = waitFor(
      erin,
      RoomMemberEvent.Membership,
      (_e: MatrixEvent, member: { userId: string; membership?: string }) =>
        member.userId === erin.getUserId() && member.membership === 'invite',
      HANG_GUARD_MS,
    );
    const { room_id: dm } = await dave.createRoom({ name: 'Dave and Erin', invite: [erin.getUserId()!] });
    await erinInvited;
    await erin.joinRoom(dm);
    await eventually(
      () => dave.getRoom(dm)?.getMember(erin.getUserId()!)?.membership === 'join',
      HANG_GUARD_MS,
    );

    const seesMessage = (client: MatrixClient, body: string) =>
      waitFor(
        client,
        RoomEvent.Timeline,
        (event: MatrixEvent, room: Room | undefined) =>
          room?.roomId === dm && event.getContent().body === body,
        HANG_GUARD_MS,
      );
    const erinSees = seesMessage(erin, 'hi erin');
    await dave.sendTextMessage(dm, 'hi erin');
    await erinSees;
    const daveSees = seesMessage(dave, 'hi dave');
    await erin.sendTextMessage(dm, 'hi dave');
    await daveSees;

    // Erin's room member for Dave, which her client shows as typing. Not the
    // client-wide RoomMemberEvent.Typing: Erin joined from an invite, and her
    // join sync is limited (a joiner's history lies before the join), so
    // matrix-js-sdk resets the room's timeline; the member objects it clones
    // from the invite's state are never hooked to re-emit on the client. A
    // known gap to check in Element (README, "A whole room … says limited").
    await dave.sendTyping(dm, true, 20_000);
    await eventually(() => erin.getRoom(dm)?.getMember(dave.getUserId()!)?.typing === true, HANG_GUARD_MS);

    const read = seesMessage(erin, 'read me');
    const { event_id: eventId } = await dave.sendTextMessage(dm, 'read me');
    await read;
    const event = await eventually(() => erin.getRoom(dm)?.findEventById(eventId), HANG_GUARD_MS);
    await erin.sendReadReceipt(event);
    await eventually(
      () => dave.getRoom(dm)?.getUsersReadUpTo(event).includes(erin.getUserId()!),
      HANG_GUARD_MS,
    );
  });
});
