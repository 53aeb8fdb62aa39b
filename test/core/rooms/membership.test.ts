import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Harness, path, startHarness } from './harness.ts';

describe('room membership', () => {
  let hs: Harness;
  let alice: string;
  let bob: string;
  let carol: string;
  before(async () => {
    hs = await startHarness({ profiles: {} });
    alice = hs.user('alice');
    bob = hs.user('bob');
    carol = hs.user('carol');
  });
  after(() => hs.close());

  const post = (as: string, p: string, body: unknown = {}) => hs.request('POST', p, { as, body });
  const membership = async (roomId: string, as: string, userId: string) => {
    const res = await hs.request(
      'GET',
      path`/_matrix/client/v3/rooms/${roomId}/state/m.room.member/${userId}`,
      { as },
    );
    return res.status === 200 ? res.body.membership : undefined;
  };

  test('an invited user joins an invite-only room; others are refused by the auth rules', async () => {
    const roomId = await hs.createRoom(alice);
    const refused = await post(carol, path`/_matrix/client/v3/rooms/${roomId}/join`);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.errcode, 'M_FORBIDDEN');
    assert.equal(
      (await post(alice, path`/_matrix/client/v3/rooms/${roomId}/invite`, { user_id: bob })).status,
      200,
    );
    assert.equal(await membership(roomId, alice, bob), 'invite');
    const joined = await post(bob, path`/_matrix/client/v3/join/${roomId}`);
    assert.equal(joined.status, 200);
    assert.equal(joined.body.room_id, roomId);
    assert.equal(await membership(roomId, alice, bob), 'join');
    const rooms = await hs.request('GET', '/_matrix/client/v3/joined_rooms', { as: bob });
    assert.deepEqual(rooms.body.joined_rooms, [roomId]);
  });

  test('joining twice is a no-op, leaving twice too', async () => {
    const roomId = await hs.createRoom(alice, { preset: 'public_chat' });
    await post(bob, path`/_matrix/client/v3/rooms/${roomId}/join`);
    const members = async () =>
      (
        await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/messages`, {
          as: alice,
          query: { dir: 'b' },
        })
      ).body.chunk.length;
    const before = await members();
    assert.equal((await post(bob, path`/_matrix/client/v3/rooms/${roomId}/join`)).status, 200);
    assert.equal(await members(), before);
    assert.equal((await post(bob, path`/_matrix/client/v3/rooms/${roomId}/leave`)).status, 200);
    assert.equal((await post(bob, path`/_matrix/client/v3/rooms/${roomId}/leave`)).status, 200);
    assert.equal(await members(), before + 1);
  });

  test('join by alias; unknown rooms and aliases are 404', async () => {
    const roomId = await hs.createRoom(alice, { preset: 'public_chat', room_alias_name: 'town-square' });
    const res = await post(bob, path`/_matrix/client/v3/join/${`#town-square:${hs.serverName}`}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.room_id, roomId);
    const noAlias = await post(bob, path`/_matrix/client/v3/join/${`#nowhere:${hs.serverName}`}`);
    assert.equal(noAlias.status, 404);
    assert.equal(noAlias.body.errcode, 'M_NOT_FOUND');
    const noRoom = await post(bob, path`/_matrix/client/v3/join/${`!missing:${hs.serverName}`}`);
    assert.equal(noRoom.status, 404);
    const remote = await post(bob, path`/_matrix/client/v3/join/${'!abc:elsewhere.example'}`);
    assert.equal(remote.status, 404);
    assert.equal(remote.body.errcode, 'M_NOT_FOUND');
    assert.match(remote.body.error, /not known here/);
    const invalid = await post(bob, path`/_matrix/client/v3/join/${'not-a-room'}`);
    assert.equal(invalid.status, 400);
  });

  test('a banned user can neither join nor send; unban lets them back in', async () => {
    const roomId = await hs.createRoom(alice, { preset: 'public_chat' });
    await post(bob, path`/_matrix/client/v3/rooms/${roomId}/join`);
    const ban = await post(alice, path`/_matrix/client/v3/rooms/${roomId}/ban`, {
      user_id: bob,
      reason: 'spam',
    });
    assert.equal(ban.status, 200);
    assert.equal(await membership(roomId, alice, bob), 'ban');
    const join = await post(bob, path`/_matrix/client/v3/rooms/${roomId}/join`);
    assert.equal(join.status, 403);
    const send = await hs.request('PUT', path`/_matrix/client/v3/rooms/${roomId}/send/m.room.message/x1`, {
      as: bob,
      body: { msgtype: 'm.text', body: 'let me in' },
    });
    assert.equal(send.status, 403);
    assert.equal(send.body.errcode, 'M_FORBIDDEN');
    assert.equal(
      (await post(alice, path`/_matrix/client/v3/rooms/${roomId}/unban`, { user_id: bob })).status,
      200,
    );
    assert.equal(await membership(roomId, alice, bob), 'leave');
    assert.equal((await post(bob, path`/_matrix/client/v3/rooms/${roomId}/join`)).status, 200);
  });

  test('kick and ban need power; unban needs a ban; kick needs a member', async () => {
    const roomId = await hs.createRoom(alice, { preset: 'public_chat' });
    await post(bob, path`/_matrix/client/v3/rooms/${roomId}/join`);
    await post(carol, path`/_matrix/client/v3/rooms/${roomId}/join`);
    assert.equal(
      (await post(bob, path`/_matrix/client/v3/rooms/${roomId}/kick`, { user_id: carol })).status,
      403,
    );
    assert.equal(
      (await post(bob, path`/_matrix/client/v3/rooms/${roomId}/ban`, { user_id: alice })).status,
      403,
    );
    assert.equal(
      (await post(alice, path`/_matrix/client/v3/rooms/${roomId}/unban`, { user_id: carol })).status,
      403,
    );
    const stranger = hs.user('stranger');
    assert.equal(
      (await post(alice, path`/_matrix/client/v3/rooms/${roomId}/kick`, { user_id: stranger })).status,
      403,
    );
    assert.equal(
      (await post(alice, path`/_matrix/client/v3/rooms/${roomId}/kick`, { user_id: carol })).status,
      200,
    );
    assert.equal(await membership(roomId, alice, carol), 'leave');
    const missing = await post(alice, path`/_matrix/client/v3/rooms/${roomId}/kick`, {});
    assert.equal(missing.status, 400);
    assert.equal(missing.body.errcode, 'M_MISSING_PARAM');
    const invalid = await post(alice, path`/_matrix/client/v3/rooms/${roomId}/invite`, { user_id: 'bob' });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.errcode, 'M_INVALID_PARAM');
  });

  test('an invite can be rejected; leaving a room one was never in is refused', async () => {
    const roomId = await hs.createRoom(alice);
    await post(alice, path`/_matrix/client/v3/rooms/${roomId}/invite`, { user_id: carol });
    assert.equal((await post(carol, path`/_matrix/client/v3/rooms/${roomId}/leave`)).status, 200);
    assert.equal(await membership(roomId, alice, carol), 'leave');
    assert.equal((await post(bob, path`/_matrix/client/v3/rooms/${roomId}/leave`)).status, 403);
  });

  test('forget only after leaving', async () => {
    const roomId = await hs.createRoom(alice, { preset: 'public_chat' });
    await post(bob, path`/_matrix/client/v3/rooms/${roomId}/join`);
    const early = await post(bob, path`/_matrix/client/v3/rooms/${roomId}/forget`);
    assert.equal(early.status, 400);
    assert.equal(early.body.errcode, 'M_UNKNOWN');
    await post(bob, path`/_matrix/client/v3/rooms/${roomId}/leave`);
    assert.equal((await post(bob, path`/_matrix/client/v3/rooms/${roomId}/forget`)).status, 200);
    const unknownRoom = await post(bob, path`/_matrix/client/v3/rooms/${`!nope:${hs.serverName}`}/forget`);
    assert.equal(unknownRoom.status, 404);
  });

  test('members, with membership filters and as of a token; joined_members', async () => {
    const roomId = await hs.createRoom(alice, { preset: 'public_chat', invite: [carol] });
    const beforeBob = await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/messages`, {
      as: alice,
      query: { dir: 'b', limit: '1' },
    });
    await post(bob, path`/_matrix/client/v3/rooms/${roomId}/join`);
    const get = async (query: Record<string, string>) => {
      const res = await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/members`, {
        as: alice,
        query,
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return (res.body.chunk as { state_key: string }[]).map((e) => e.state_key).sort();
    };
    assert.deepEqual(await get({}), [alice, bob, carol].sort());
    assert.deepEqual(await get({ membership: 'join' }), [alice, bob].sort());
    assert.deepEqual(await get({ not_membership: 'join' }), [carol]);
    assert.deepEqual(await get({ at: beforeBob.body.start }), [alice, carol].sort());
    const bad = await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/members`, {
      as: alice,
      query: { membership: 'joined' },
    });
    assert.equal(bad.status, 400);
    const joined = await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/joined_members`, {
      as: bob,
    });
    assert.deepEqual(Object.keys(joined.body.joined).sort(), [alice, bob].sort());
    const outsider = await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/joined_members`, {
      as: hs.user('dave'),
    });
    assert.equal(outsider.status, 403);
  });
});
