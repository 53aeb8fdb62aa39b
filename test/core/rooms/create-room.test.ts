import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Harness, path, startHarness } from './harness.ts';

describe('createRoom', () => {
  let hs: Harness;
  let alice: string;
  let bob: string;
  before(async () => {
    hs = await startHarness({ profiles: {} });
    alice = hs.user('alice');
    bob = hs.user('bob');
  });
  after(() => hs.close());

  const state = async (roomId: string, as: string) => {
    const res = await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/state`, { as });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as {
      type: string;
      state_key: string;
      content: Record<string, unknown>;
      sender: string;
    }[];
  };
  const stateOf = (events: Awaited<ReturnType<typeof state>>, type: string, key = '') =>
    events.find((e) => e.type === type && e.state_key === key)?.content;

  test('private_chat and room version 12 by default: invite-only, shared history, the creator unlisted', async () => {
    const roomId = await hs.createRoom(alice, { name: 'Lunch', topic: 'Where to eat' });
    assert.match(roomId, /^![A-Za-z0-9_-]{43}$/);
    const events = await state(roomId, alice);
    assert.deepEqual(stateOf(events, 'm.room.create'), { room_version: '12' });
    assert.equal(stateOf(events, 'm.room.member', alice)?.membership, 'join');
    assert.equal(stateOf(events, 'm.room.join_rules')?.join_rule, 'invite');
    assert.equal(stateOf(events, 'm.room.history_visibility')?.history_visibility, 'shared');
    assert.equal(stateOf(events, 'm.room.guest_access')?.guest_access, 'can_join');
    assert.equal(stateOf(events, 'm.room.name')?.name, 'Lunch');
    assert.equal(stateOf(events, 'm.room.topic')?.topic, 'Where to eat');
    const pl = stateOf(events, 'm.room.power_levels') as { users: Record<string, number> };
    assert.deepEqual(pl.users, {});
  });

  test('room version 10: the room id on this server, the creator at 100', async () => {
    const roomId = await hs.createRoom(alice, { room_version: '10' });
    assert.match(roomId, new RegExp(`^!.+:${hs.serverName}$`));
    const events = await state(roomId, alice);
    assert.deepEqual(stateOf(events, 'm.room.create'), { creator: alice, room_version: '10' });
    const pl = stateOf(events, 'm.room.power_levels') as { users: Record<string, number> };
    assert.deepEqual(pl.users, { [alice]: 100 });
  });

  test('public_chat with an alias: public join rule, canonical alias, listed in the directory', async () => {
    const roomId = await hs.createRoom(alice, { visibility: 'public', room_alias_name: 'lobby' });
    const events = await state(roomId, alice);
    assert.equal(stateOf(events, 'm.room.join_rules')?.join_rule, 'public');
    assert.equal(stateOf(events, 'm.room.guest_access')?.guest_access, 'forbidden');
    assert.equal(stateOf(events, 'm.room.canonical_alias')?.alias, `#lobby:${hs.serverName}`);
    const resolved = await hs.request(
      'GET',
      path`/_matrix/client/v3/directory/room/${`#lobby:${hs.serverName}`}`,
    );
    assert.equal(resolved.body.room_id, roomId);
    const listed = await hs.request('GET', path`/_matrix/client/v3/directory/list/room/${roomId}`);
    assert.equal(listed.body.visibility, 'public');
    const taken = await hs.request('POST', '/_matrix/client/v3/createRoom', {
      as: bob,
      body: { room_alias_name: 'lobby' },
    });
    assert.equal(taken.status, 400);
    assert.equal(taken.body.errcode, 'M_ROOM_IN_USE');
  });

  test('room version 10 trusted_private_chat direct room: invitees get 100 and an is_direct invite', async () => {
    const roomId = await hs.createRoom(alice, {
      room_version: '10',
      preset: 'trusted_private_chat',
      invite: [bob],
      is_direct: true,
    });
    const events = await state(roomId, alice);
    const invite = stateOf(events, 'm.room.member', bob);
    assert.deepEqual(invite, { membership: 'invite', is_direct: true });
    const pl = stateOf(events, 'm.room.power_levels') as { users: Record<string, number> };
    assert.deepEqual(pl.users, { [alice]: 100, [bob]: 100 });
  });

  test('initial_state beats the preset, name beats initial_state, overrides and creation content apply', async () => {
    const roomId = await hs.createRoom(alice, {
      preset: 'private_chat',
      name: 'Named',
      room_version: '11',
      initial_state: [
        { type: 'm.room.history_visibility', content: { history_visibility: 'joined' } },
        { type: 'm.room.name', content: { name: 'Overridden' } },
        { type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } },
      ],
      power_level_content_override: { events_default: 10 },
      creation_content: { 'm.federate': false, type: 'org.example.kind' },
    });
    const events = await state(roomId, alice);
    assert.equal(stateOf(events, 'm.room.history_visibility')?.history_visibility, 'joined');
    assert.equal(stateOf(events, 'm.room.name')?.name, 'Named');
    assert.equal(stateOf(events, 'm.room.encryption')?.algorithm, 'm.megolm.v1.aes-sha2');
    assert.equal(stateOf(events, 'm.room.power_levels')?.events_default, 10);
    assert.deepEqual(stateOf(events, 'm.room.create'), {
      'm.federate': false,
      type: 'org.example.kind',
      room_version: '11',
    });
    assert.equal(events.filter((e) => e.type === 'm.room.history_visibility').length, 1);
  });

  test('room version 12: the room id is the create event’s, creators unlisted, tombstone at 150', async () => {
    const roomId = await hs.createRoom(alice, { room_version: '12', name: 'Twelve' });
    assert.match(roomId, /^![A-Za-z0-9_-]{43}$/);
    const events = await state(roomId, alice);
    const create = events.find((e) => e.type === 'm.room.create') as unknown as {
      event_id: string;
      room_id: string;
    };
    assert.equal(create.event_id, `$${roomId.slice(1)}`);
    assert.equal(create.room_id, roomId, 'clients get the room id on the create event too');
    assert.deepEqual(stateOf(events, 'm.room.create'), { room_version: '12' });
    const pl = stateOf(events, 'm.room.power_levels') as { users: object; events: Record<string, number> };
    assert.deepEqual(pl.users, {});
    assert.equal(pl.events['m.room.tombstone'], 150);
    // Messages, state and membership work as in any room.
    const sent = await hs.request('PUT', path`/_matrix/client/v3/rooms/${roomId}/send/m.room.message/t1`, {
      as: alice,
      body: { msgtype: 'm.text', body: 'hi' },
    });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
  });

  test('room version 12 trusted_private_chat: invitees become additional creators, not listed', async () => {
    const carol = hs.user('carol');
    const roomId = await hs.createRoom(alice, {
      room_version: '12',
      preset: 'trusted_private_chat',
      invite: [bob],
      is_direct: true,
      creation_content: { additional_creators: [carol, bob] },
    });
    const events = await state(roomId, alice);
    assert.deepEqual(stateOf(events, 'm.room.create'), {
      additional_creators: [carol, bob],
      room_version: '12',
    });
    const pl = stateOf(events, 'm.room.power_levels') as { users: object };
    assert.deepEqual(pl.users, {});
  });

  test('room version 12: creators may not be listed in the power levels, additional_creators are user ids', async () => {
    const bad = async (body: unknown) => {
      const res = await hs.request('POST', '/_matrix/client/v3/createRoom', { as: alice, body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.errcode, 'M_INVALID_PARAM', JSON.stringify(res.body));
    };
    await bad({ room_version: '12', power_level_content_override: { users: { [alice]: 100 } } });
    await bad({
      room_version: '12',
      creation_content: { additional_creators: [bob] },
      power_level_content_override: { users: { [bob]: 50 } },
    });
    await bad({ room_version: '12', creation_content: { additional_creators: ['bob'] } });
    await bad({ room_version: '12', creation_content: { additional_creators: bob } });
    // Setting them later is refused by the auth rules.
    const roomId = await hs.createRoom(alice, { room_version: '12' });
    const res = await hs.request('PUT', path`/_matrix/client/v3/rooms/${roomId}/state/m.room.power_levels/`, {
      as: alice,
      body: { users: { [alice]: 100 } },
    });
    assert.equal(res.status, 403, JSON.stringify(res.body));
  });

  test('bad requests are refused before anything is written', async () => {
    const bad = async (body: unknown, errcode: string, status = 400) => {
      const res = await hs.request('POST', '/_matrix/client/v3/createRoom', { as: alice, body });
      assert.equal(res.status, status, JSON.stringify(body));
      assert.equal(res.body.errcode, errcode, JSON.stringify(body));
    };
    await bad({ room_version: '9' }, 'M_UNSUPPORTED_ROOM_VERSION');
    await bad({ room_version: 'banana' }, 'M_UNSUPPORTED_ROOM_VERSION');
    await bad({ preset: 'party' }, 'M_INVALID_PARAM');
    await bad({ visibility: 'hidden' }, 'M_INVALID_PARAM');
    await bad({ name: 5 }, 'M_BAD_JSON');
    await bad({ invite: ['not-a-user'] }, 'M_INVALID_PARAM');
    await bad({ invite: 'x' }, 'M_BAD_JSON');
    await bad({ room_alias_name: 'a:b' }, 'M_INVALID_PARAM');
    await bad({ initial_state: [{ type: 'm.room.create', content: {} }] }, 'M_INVALID_PARAM');
    await bad({ initial_state: [{ content: {} }] }, 'M_MISSING_PARAM');
    await bad(
      { room_version: '10', power_level_content_override: { users: { [alice]: 0 } }, name: 'x' },
      'M_FORBIDDEN',
      403,
    );
    await bad({ topic: 'x'.repeat(70_000) }, 'M_TOO_LARGE', 413);
    const noAuth = await hs.request('POST', '/_matrix/client/v3/createRoom', { body: {} });
    assert.equal(noAuth.status, 401);
    const rooms = await hs.request('GET', '/_matrix/client/v3/joined_rooms', { as: alice });
    for (const roomId of rooms.body.joined_rooms) {
      const events = await state(roomId, alice);
      assert.ok(events.some((e) => e.type === 'm.room.member'));
    }
  });

  test('invites to unknown local users are 404', async () => {
    const strict = await startHarness({ knownUsers: [] });
    const res = await strict.request('POST', '/_matrix/client/v3/createRoom', {
      as: strict.user('alice'),
      body: { invite: [strict.user('ghost')] },
    });
    assert.equal(res.status, 404);
    assert.equal(res.body.errcode, 'M_NOT_FOUND');
    const roomId = await strict.createRoom(strict.user('alice'));
    const invite = await strict.request('POST', path`/_matrix/client/v3/rooms/${roomId}/invite`, {
      as: strict.user('alice'),
      body: { user_id: strict.user('ghost') },
    });
    assert.equal(invite.status, 404);
    const remote = await strict.request('POST', path`/_matrix/client/v3/rooms/${roomId}/invite`, {
      as: strict.user('alice'),
      body: { user_id: '@bob:elsewhere.example' },
    });
    assert.equal(remote.status, 200);
    await strict.close();
  });
});
