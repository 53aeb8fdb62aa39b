import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Json, roomPath, SyncHarness, type User } from './sync-harness.ts';

const bodies = (chunk: Json[]) => chunk.filter((e) => e.type === 'm.room.message').map((e) => e.content.body);

describe('GET /rooms/{roomId}/initialSync', () => {
  let h: SyncHarness;
  let alice: User;
  let bob: User;
  let carol: User;

  before(async () => {
    h = await SyncHarness.start();
    [alice, bob, carol] = await h.registerAll('alice', 'bob', 'carol');
  });
  after(() => h.close());

  test('a member gets the latest messages, the current state and the room’s account data', async () => {
    const roomId = await h.createRoom(alice, { name: 'Peeked', preset: 'public_chat' });
    await h.join(bob, roomId);
    for (let i = 1; i <= 25; i++) await h.text(alice, roomId, `m${i}`);
    await h.ok(
      'PUT',
      `/_matrix/client/v3/user/${encodeURIComponent(bob.userId)}/rooms/${encodeURIComponent(roomId)}/account_data/org.example.note`,
      { note: 'x' },
      bob,
    );
    const body = await h.ok('GET', roomPath(roomId, 'initialSync'), undefined, bob);
    assert.equal(body.room_id, roomId);
    assert.equal(body.membership, 'join');
    assert.deepEqual(
      bodies(body.messages.chunk),
      Array.from({ length: 20 }, (_, i) => `m${i + 6}`),
    );
    const types = new Set(body.state.map((e: Json) => e.type));
    for (const type of ['m.room.create', 'm.room.name', 'm.room.power_levels', 'm.room.member'])
      assert.ok(types.has(type), type);
    assert.deepEqual(
      body.account_data.map((e: Json) => e.type),
      ['org.example.note'],
    );
    // The tokens page on with /messages.
    const older = await h.ok(
      'GET',
      roomPath(roomId, `messages?dir=b&from=${body.messages.start}&limit=5`),
      undefined,
      bob,
    );
    assert.deepEqual(bodies(older.chunk), ['m5', 'm4', 'm3', 'm2', 'm1']);
  });

  test('a user who left sees the room as it was when they left; a stranger gets 403', async () => {
    const roomId = await h.createRoom(alice, { name: 'Before', preset: 'public_chat' });
    await h.join(bob, roomId);
    await h.text(alice, roomId, 'while bob is here');
    await h.leave(bob, roomId);
    await h.text(alice, roomId, 'after bob left');
    await h.ok('PUT', roomPath(roomId, 'state/m.room.name/'), { name: 'After' }, alice);
    const body = await h.ok('GET', roomPath(roomId, 'initialSync'), undefined, bob);
    assert.equal(body.membership, 'leave');
    assert.deepEqual(bodies(body.messages.chunk), ['while bob is here']);
    const name = body.state.find((e: Json) => e.type === 'm.room.name');
    assert.equal(name.content.name, 'Before');
    const stranger = await h.request('GET', roomPath(roomId, 'initialSync'), undefined, carol);
    assert.deepEqual([stranger.status, stranger.body.errcode], [403, 'M_FORBIDDEN']);
    const unknown = await h.request('GET', roomPath('!nope:example.org', 'initialSync'), undefined, carol);
    assert.equal(unknown.status, 404);
  });
});
