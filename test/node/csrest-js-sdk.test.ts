// matrix-js-sdk against a real `p2p-matrix serve`: the Client-Server API's
// rest as Element reaches it: search with pagination and context, room tags
// through /sync, the notification panel's timeline for a mention, and a
// refresh-token rotation.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  createClient,
  EventTimeline,
  EventTimelineSet,
  type MatrixClient,
  type MatrixError,
  type MatrixEvent,
  MsgType,
  Preset,
  type Room,
  RoomEvent,
} from 'matrix-js-sdk';
import { freePort, type ServeProcess, startServe } from '../../scripts/harness/serve-process.ts';
import { eventually, quiet, startedClient, waitFor } from '../support/js-sdk.ts';

let dataDir: string;
let server: ServeProcess;
let alice: MatrixClient;
let bob: MatrixClient;
let roomId: string;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'p2pm-csrest-'));
  server = await startServe(['--port', String(await freePort()), '--data', dataDir]);
  alice = await startedClient(server.baseUrl, 'alice');
  bob = await startedClient(server.baseUrl, 'bob');
  ({ room_id: roomId } = await alice.createRoom({ name: 'Garden', preset: Preset.PublicChat }));
  await bob.joinRoom(roomId);
  await eventually(() => alice.getRoom(roomId)?.getMember(bob.getUserId()!)?.membership === 'join');
});

after(async () => {
  alice?.stopClient();
  bob?.stopClient();
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('search finds messages, pages back with next_batch and brings their context', async () => {
  for (let i = 0; i < 12; i++) await alice.sendTextMessage(roomId, `sunflower number ${i}`);
  await bob.sendTextMessage(roomId, 'nothing about flowers');
  const results = await bob.searchRoomEvents({ term: 'Sunflower', filter: { limit: 5 } });
  assert.equal(results.count, 12);
  assert.ok(results.highlights.includes('sunflower'));
  const bodies = () => results.results.map((r) => r.context.getEvent().getContent().body);
  assert.deepEqual(
    bodies(),
    [11, 10, 9, 8, 7].map((i) => `sunflower number ${i}`),
  );
  const [newest] = results.results;
  const timeline = newest!.context.getTimeline().map((e) => e.getContent().body);
  assert.deepEqual(timeline, ['sunflower number 10', 'sunflower number 11', 'nothing about flowers']);
  assert.equal(
    newest!.context.getTimeline()[0]!.sender?.name,
    alice.getUser(alice.getUserId()!)?.displayName ?? 'alice',
  );
  while (results.next_batch) await bob.backPaginateRoomEventsSearch(results);
  assert.deepEqual(
    bodies(),
    Array.from({ length: 12 }, (_, i) => `sunflower number ${11 - i}`),
  );
});

test('a tag set by one client reaches the other session through /sync', async () => {
  const second = await startedClient(server.baseUrl, 'carol');
  try {
    const { room_id: mine } = await second.createRoom({ name: 'Mine' });
    const tagged = waitFor(
      second,
      RoomEvent.Tags,
      (_e: MatrixEvent, room: Room) => room.roomId === mine && 'm.favourite' in room.tags,
    );
    await second.setRoomTag(mine, 'm.favourite', { order: 0.5 });
    await tagged;
    assert.deepEqual(second.getRoom(mine)!.tags, { 'm.favourite': { order: 0.5 } });
    assert.deepEqual((await second.getRoomTags(mine)).tags, { 'm.favourite': { order: 0.5 } });
    const untagged = waitFor(
      second,
      RoomEvent.Tags,
      (_e: MatrixEvent, room: Room) => room.roomId === mine && !('m.favourite' in room.tags),
    );
    await second.deleteRoomTag(mine, 'm.favourite');
    await untagged;
    await assert.rejects(
      alice.setRoomTag(mine, 'u.x', {}),
      (err: { errcode?: string }) => err.errcode === 'M_FORBIDDEN',
    );
  } finally {
    second.stopClient();
  }
});

test('a mention shows in the notification panel as a highlight', async () => {
  await alice.sendMessage(roomId, {
    msgtype: MsgType.Text,
    body: 'bob: look at the roses',
    'm.mentions': { user_ids: [bob.getUserId()!] },
  });
  // As Element's notification panel does: a timeline set paginated from /notifications.
  const set = new EventTimelineSet(undefined, { timelineSupport: true, pendingEvents: false });
  set.getLiveTimeline().setPaginationToken('', EventTimeline.BACKWARDS);
  bob.setNotifTimelineSet(set);
  await bob.paginateEventTimeline(set.getLiveTimeline(), { backwards: true, limit: 5 });
  const [latest] = set.getLiveTimeline().getEvents().slice(-1);
  assert.equal(latest!.getContent().body, 'bob: look at the roses');
  assert.equal(latest!.getPushActions()?.tweaks?.highlight, true);
});

test('a refresh-token rotation: login with refresh_token, /refresh through js-sdk, the used token refused', async () => {
  const anonymous = createClient({ baseUrl: server.baseUrl, logger: quiet });
  const login = await anonymous.loginRequest({
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: 'alice' },
    password: 'correct horse battery',
    refresh_token: true,
  });
  assert.equal(typeof login.refresh_token, 'string');
  assert.equal(login.expires_in_ms, 5 * 60_000);
  const client = createClient({
    baseUrl: server.baseUrl,
    userId: login.user_id,
    deviceId: login.device_id,
    accessToken: login.access_token,
    refreshToken: login.refresh_token,
    logger: quiet,
  });
  const rotated = await client.refreshToken(login.refresh_token!);
  assert.notEqual(rotated.refresh_token, login.refresh_token);
  assert.equal(rotated.expires_in_ms, 5 * 60_000);
  client.setAccessToken(rotated.access_token);
  // The new access token is the same device's; using it revokes the old refresh token.
  assert.equal((await client.whoami()).device_id, login.device_id);
  await assert.rejects(client.refreshToken(login.refresh_token!), (err: MatrixError) => {
    assert.equal(err.errcode, 'M_UNKNOWN_TOKEN');
    assert.equal(err.data.soft_logout, true);
    return true;
  });
  // The chain goes on from the new refresh token.
  const again = await client.refreshToken(rotated.refresh_token!);
  client.setAccessToken(again.access_token);
  assert.equal((await client.whoami()).user_id, login.user_id);
});
