// History for whoever joins from another peer, whole state after a restart,
// and invites clients can name: two `p2p-matrix serve` peers federating over
// real libp2p through a relay (the built CLI: `npm run build` first), driven
// by matrix-js-sdk as Element drives its homeserver.
//
// Every wait is bounded by a hang guard (a broken build fails instead of
// hanging); none of them is a timing assertion.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EventType, type MatrixClient, Preset } from 'matrix-js-sdk';
import { logger as sdkLogger } from 'matrix-js-sdk/lib/logger.js';
import {
  freePort,
  type RelayProcess,
  type ServeProcess,
  startRelayProcess,
  startServe,
} from '../../scripts/harness/serve-process.ts';
import { type Credentials, credentialsClient, registerUser, until } from '../support/js-sdk.ts';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field, as a client would.
type Json = any;

async function get(baseUrl: string, client: MatrixClient, path: string): Promise<Json> {
  const res = await fetch(`${baseUrl}${path}`, {
    headers: { authorization: `Bearer ${client.getAccessToken()}` },
  });
  assert.equal(res.status, 200, `${path}: ${res.status}`);
  return res.json();
}

const ALICE_AVATAR = 'mxc://example.org/alice-avatar';

/** The room's current state as the server holds it: state key → event id. */
async function serverState(baseUrl: string, client: MatrixClient, roomId: string) {
  const events: Json[] = await get(
    baseUrl,
    client,
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`,
  );
  return Object.fromEntries(events.map((e) => [`${e.type}|${e.state_key}`, e.event_id]).sort());
}

/** The texts of the room's messages in the client's live timeline, oldest first. */
function texts(client: MatrixClient, roomId: string): string[] {
  const events = client.getRoom(roomId)?.getLiveTimeline().getEvents() ?? [];
  return events.filter((e) => e.getType() === EventType.RoomMessage).map((e) => e.getContent().body);
}

describe('history for joiners, whole state after a restart, named invites (matrix-js-sdk, two serve peers)', () => {
  const dirs: string[] = [];
  let relay: RelayProcess;
  let a: ServeProcess;
  let b: ServeProcess;
  let bPort: number;
  let bData: string;
  let alice: MatrixClient;
  let bob: MatrixClient;
  let bobCreds: Credentials;
  let roomId: string;
  const said: string[] = [];
  const clients: MatrixClient[] = [];

  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'p2pm-history-'));
    dirs.push(dir);
    return dir;
  };
  const servePeer = (data: string, port = 0) =>
    startServe(['--port', String(port), '--data', data, '--relay', relay.multiaddrs[0]!]);
  const started = async (baseUrl: string, creds: Credentials) => {
    const client = await credentialsClient(baseUrl, creds);
    clients.push(client);
    return client;
  };

  before(async () => {
    // The send queue and MatrixRTC log through js-sdk's global logger, not the client's.
    (sdkLogger as unknown as { setLevel(level: string): void }).setLevel('silent');
    relay = await startRelayProcess();
    bPort = await freePort();
    bData = tempDir();
    [a, b] = await Promise.all([servePeer(tempDir()), servePeer(bData, bPort)]);
    const aliceCreds = await registerUser(a.baseUrl, 'alice');
    bobCreds = await registerUser(b.baseUrl, 'bob');
    [alice, bob] = await Promise.all([started(a.baseUrl, aliceCreds), started(b.baseUrl, bobCreds)]);
    await alice.setDisplayName('Alice Liddell');
    await alice.setAvatarUrl(ALICE_AVATAR);
  });

  after(async () => {
    for (const client of clients) client.stopClient();
    await Promise.all([a?.stop(), b?.stop()]);
    await relay?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('a user joining from another peer pages back to the room’s creation, in order, without gaps', async () => {
    ({ room_id: roomId } = await alice.createRoom({ preset: Preset.PublicChat, name: 'Before you came' }));
    for (let i = 0; i < 150; i++) {
      said.push(`said before ${i}`);
      await alice.sendTextMessage(roomId, `said before ${i}`);
      if (i === 75) await alice.setRoomTopic(roomId, 'halfway there');
    }
    await bob.joinRoom(roomId, { viaServers: [a.serverName] });
    const room = await until('bob has the room', () => bob.getRoom(roomId) ?? undefined);
    // As Element does when the user scrolls up: pages of /messages until none is left.
    await until('bob has paged back to the creation', async () => {
      const more = await bob.paginateEventTimeline(room.getLiveTimeline(), { backwards: true, limit: 40 });
      return !more && room.getLiveTimeline().getEvents()[0]?.getType() === EventType.RoomCreate;
    });
    assert.deepEqual(texts(bob, roomId), said);
    assert.equal(room.name, 'Before you came');
    assert.equal(
      room.currentState.getStateEvents(EventType.RoomTopic, '')?.getContent().topic,
      'halfway there',
    );
  });

  test('after a restart of the joiner’s peer, the initial sync’s state is whole', async () => {
    bob.stopClient();
    await b.stop();
    b = await servePeer(bData, bPort);
    // The raw initial sync: what it says about the room covers every current state event.
    const body = await get(b.baseUrl, bob, '/_matrix/client/v3/sync?timeout=0');
    const entry = body.rooms.join[roomId];
    const known = new Set(
      [...entry.state.events, ...entry.timeline.events]
        .filter((e: Json) => e.state_key !== undefined)
        .map((e: Json) => `${e.type}|${e.state_key}`),
    );
    for (const key of Object.keys(await serverState(b.baseUrl, bob, roomId))) assert.ok(known.has(key), key);
    // And as a client shows it: the creator's name, the room's name, its creation.
    bob = await started(b.baseUrl, bobCreds);
    const room = bob.getRoom(roomId)!;
    assert.equal(room.name, 'Before you came');
    assert.ok(room.currentState.getStateEvents(EventType.RoomCreate, ''));
    assert.equal(room.getMember(alice.getUserId()!)?.name, 'Alice Liddell');
  });

  test('an invite from the other peer carries the room’s name and the inviter’s profile', async () => {
    const { room_id: invited } = await alice.createRoom({
      preset: Preset.PrivateChat,
      name: 'Come in',
      topic: 'by invitation',
      invite: [bob.getUserId()!],
    });
    const room = await until('bob sees the invite', () => {
      const found = bob.getRoom(invited);
      return found?.getMyMembership() === 'invite' ? found : undefined;
    });
    assert.equal(room.name, 'Come in');
    const inviter = room.getMember(alice.getUserId()!);
    assert.equal(inviter?.name, 'Alice Liddell');
    assert.equal(inviter?.getMxcAvatarUrl(), ALICE_AVATAR);
    assert.equal(room.getMember(bob.getUserId()!)?.events.member?.getSender(), alice.getUserId());
    await bob.joinRoom(invited);
    await until(
      'alice sees bob joined',
      () => alice.getRoom(invited)?.getMember(bob.getUserId()!)?.membership === 'join',
    );
  });

  test('what was said while the joiner’s peer was offline arrives; the shared rooms’ state is the same on both peers', async () => {
    await b.stop();
    const missed: string[] = [];
    for (let i = 0; i < 20; i++) {
      missed.push(`while you were away ${i}`);
      await alice.sendTextMessage(roomId, `while you were away ${i}`);
    }
    b = await servePeer(bData, bPort);
    await until('bob reads the last thing he missed', () => texts(bob, roomId).includes(missed.at(-1)!));
    // A limited sync starts a new live timeline; scrolling up brings the rest.
    const room = bob.getRoom(roomId)!;
    await until('bob reads all he missed', async () => {
      if (missed.every((t) => texts(bob, roomId).includes(t))) return true;
      await bob.paginateEventTimeline(room.getLiveTimeline(), { backwards: true, limit: 20 });
      return false;
    });
    const seen = texts(bob, roomId);
    assert.deepEqual(seen.slice(seen.indexOf(missed[0]!)), missed);
    const shared = alice
      .getRooms()
      .map((r) => r.roomId)
      .filter((id) => bob.getRoom(id)?.getMyMembership() === 'join');
    assert.ok(shared.length >= 2);
    for (const id of shared) {
      const state = await until(`the state of ${id} agrees`, async () => {
        const [mine, theirs] = await Promise.all([
          serverState(a.baseUrl, alice, id),
          serverState(b.baseUrl, bob, id),
        ]);
        return JSON.stringify(mine) === JSON.stringify(theirs) ? mine : undefined;
      });
      assert.ok(Object.keys(state).length > 5);
    }
  });
});
