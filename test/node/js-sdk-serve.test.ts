// matrix-js-sdk, the client library Element is built on, drives a real
// `p2p-matrix serve` process over HTTP: what two users of any Matrix client
// would do, including a server restart in the middle of the conversation.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  Direction,
  type MatrixClient,
  type MatrixEvent,
  Preset,
  type Room,
  RoomEvent,
  RoomMemberEvent,
  SyncState,
} from 'matrix-js-sdk';
import { eventually, startedClient, waitFor } from '../support/js-sdk.ts';
import { freePort, type ServeProcess, startServe } from '../../scripts/harness/serve-process.ts';

let dataDir: string;
let port: number;
let server: ServeProcess;
let alice: MatrixClient;
let bob: MatrixClient;
let roomId: string;

const serve = () => startServe(['--port', String(port), '--data', dataDir]);

/** Resolves when `client` sees a message with this body in `roomId`. */
function seesMessage(client: MatrixClient, body: string): Promise<unknown> {
  return waitFor(
    client,
    RoomEvent.Timeline,
    (event: MatrixEvent, room: Room | undefined) =>
      room?.roomId === roomId && event.getContent().body === body,
  );
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'p2pm-jssdk-'));
  port = await freePort();
  server = await serve();
  alice = await startedClient(server.baseUrl, 'alice');
  bob = await startedClient(server.baseUrl, 'bob');
});

after(async () => {
  alice?.stopClient();
  bob?.stopClient();
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('alice creates a room and invites bob, who joins from his sync', async () => {
  const invited = waitFor(
    bob,
    RoomMemberEvent.Membership,
    (_e: MatrixEvent, member: { userId: string; membership?: string }) =>
      member.userId === bob.getUserId() && member.membership === 'invite',
  );
  ({ room_id: roomId } = await alice.createRoom({ name: 'Garden', preset: Preset.PrivateChat }));
  await alice.invite(roomId, bob.getUserId()!);
  await invited;
  await bob.joinRoom(roomId);
  await eventually(() => alice.getRoom(roomId)?.getMember(bob.getUserId()!)?.membership === 'join');
});

test('messages flow both ways', async () => {
  const bobSees = seesMessage(bob, 'hello bob');
  await alice.sendTextMessage(roomId, 'hello bob');
  await bobSees;
  const aliceSees = seesMessage(alice, 'hello alice');
  await bob.sendTextMessage(roomId, 'hello alice');
  await aliceSees;
});

// Before the 200-message history: that one takes alice's whole burst of sends (the message
// rate limit, src/core/http/rate-limit.ts), which js-sdk's sends wait out and its state calls do not.
test('room name, topic and display names reach the other user', async () => {
  await alice.setRoomName(roomId, 'Rose garden');
  await alice.setRoomTopic(roomId, 'Roses only');
  await bob.setDisplayName('Bob the gardener');
  await eventually(() => bob.getRoom(roomId)?.name === 'Rose garden');
  await eventually(() => {
    const topic = bob.getRoom(roomId)?.currentState.getStateEvents('m.room.topic', '')?.getContent().topic;
    return topic === 'Roses only';
  });
  await eventually(() => alice.getRoom(roomId)?.getMember(bob.getUserId()!)?.name === 'Bob the gardener');
});

test('bob paginates back through 200 messages in order', async () => {
  const last = seesMessage(bob, 'history 199');
  for (let i = 0; i < 200; i++) await alice.sendTextMessage(roomId, `history ${i}`);
  await last;
  const bodies: string[] = [];
  let from: string | null = null;
  while (bodies.length < 200) {
    const page = await bob.createMessagesRequest(roomId, from, 100, Direction.Backward);
    assert.ok(page.chunk.length > 0, 'a page before the start of history must not be empty');
    for (const event of page.chunk) {
      const body = event.content?.body;
      if (typeof body === 'string' && body.startsWith('history ')) bodies.push(body);
    }
    from = page.end ?? null;
  }
  assert.deepEqual(
    bodies.slice(0, 200),
    Array.from({ length: 200 }, (_, i) => `history ${199 - i}`),
  );
});

test('typing and read receipts show up in the other user’s sync', async () => {
  const typing = waitFor(
    bob,
    RoomMemberEvent.Typing,
    (_e: MatrixEvent, member: { userId: string; typing: boolean }) =>
      member.userId === alice.getUserId() && member.typing,
  );
  await alice.sendTyping(roomId, true, 20_000);
  await typing;

  const sees = seesMessage(bob, 'read me');
  const { event_id: eventId } = await alice.sendTextMessage(roomId, 'read me');
  await sees;
  const event = await eventually(() => bob.getRoom(roomId)?.findEventById(eventId));
  await bob.sendReadReceipt(event);
  await eventually(() => alice.getRoom(roomId)?.getUsersReadUpTo(event).includes(bob.getUserId()!));
});

test('a restart of the server loses nothing and clients continue from their sync tokens', async () => {
  await server.stop();
  server = await serve();
  const bobSees = seesMessage(bob, 'after the restart');
  // The clients were never restarted: their next /sync carries the old token.
  await eventually(() => alice.getSyncState() === SyncState.Syncing, 60_000);
  await alice.sendTextMessage(roomId, 'after the restart');
  await bobSees;
  const history = await bob.createMessagesRequest(roomId, null, 300, Direction.Backward);
  const bodies = history.chunk.map((e) => e.content?.body);
  assert.ok(bodies.includes('history 0') && bodies.includes('hello bob'), 'history survived the restart');
});

test('a ban is enforced', async () => {
  const banned = waitFor(
    bob,
    RoomMemberEvent.Membership,
    (_e: MatrixEvent, member: { userId: string; membership?: string }) =>
      member.userId === bob.getUserId() && member.membership === 'ban',
  );
  await alice.ban(roomId, bob.getUserId()!, 'weeds');
  await banned;
  await assert.rejects(bob.sendTextMessage(roomId, 'let me in'), (err: { errcode?: string }) => {
    assert.equal(err.errcode, 'M_FORBIDDEN');
    return true;
  });
  await assert.rejects(bob.joinRoom(roomId), (err: { errcode?: string }) => err.errcode === 'M_FORBIDDEN');
});
