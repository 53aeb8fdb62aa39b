// Local aliases for rooms of other servers (issue 4): a local user joining a
// public room whose canonical alias is on another server makes this server
// publish the same localpart under its own name, and list the room.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Harness, path, startHarness } from './harness.ts';

const OTHER = 'ab'.repeat(32);

describe('local aliases for rooms with a canonical alias elsewhere', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  /** A room whose canonical alias names another server (as a room joined over federation has). */
  async function roomAliasedElsewhere(localpart: string, visibility: 'public' | 'private') {
    const creator = h.user(`creator-${localpart}`);
    const roomId = await h.createRoom(creator, { preset: `${visibility}_chat` });
    await h.rooms.context.writer.send(roomId, {
      type: 'm.room.canonical_alias',
      sender: creator,
      stateKey: '',
      content: { alias: `#${localpart}:${OTHER}` },
    });
    return roomId;
  }

  const join = (roomId: string, user: string) =>
    h.request('POST', path`/_matrix/client/v3/rooms/${roomId}/join`, { as: h.user(user), body: {} });
  const resolve = (alias: string) => h.request('GET', path`/_matrix/client/v3/directory/room/${alias}`);

  test('joining a public room publishes #<localpart>:<our name> and lists the room', async () => {
    const roomId = await roomAliasedElsewhere('lobby', 'public');
    const listed = async () =>
      (await h.request('GET', '/_matrix/client/v3/publicRooms')).body.chunk.some(
        (r: { room_id: string }) => r.room_id === roomId,
      );
    assert.equal((await resolve(`#lobby:${h.serverName}`)).status, 404);
    assert.equal(await listed(), false);
    assert.equal((await join(roomId, 'bob')).status, 200);
    const alias = await resolve(`#lobby:${h.serverName}`);
    assert.equal(alias.status, 200);
    assert.equal(alias.body.room_id, roomId);
    assert.equal(await listed(), true);
    const aliases = await h.request('GET', path`/_matrix/client/v3/rooms/${roomId}/aliases`, {
      as: h.user('bob'),
    });
    assert.deepEqual(aliases.body.aliases, [`#lobby:${h.serverName}`]);
  });

  test('an alias we already use for another room is left alone', async () => {
    const taken = await h.createRoom(h.user('carol'), { room_alias_name: 'taken' });
    const roomId = await roomAliasedElsewhere('taken', 'public');
    assert.equal((await join(roomId, 'dave')).status, 200);
    assert.equal((await resolve(`#taken:${h.serverName}`)).body.room_id, taken);
  });

  test('a private room gets no local alias', async () => {
    const roomId = await roomAliasedElsewhere('secret', 'private');
    await h.request('POST', path`/_matrix/client/v3/rooms/${roomId}/invite`, {
      as: h.user('creator-secret'),
      body: { user_id: h.user('erin') },
    });
    assert.equal((await join(roomId, 'erin')).status, 200);
    assert.equal((await resolve(`#secret:${h.serverName}`)).status, 404);
  });
});
