// The network-wide room directory over an in-memory network of homeservers:
// what a client of one peer sees of the rooms, aliases and profiles of the
// others, and that a slow or lying peer cannot stall or pollute it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FOUND_ON } from '../../../../src/core/federation/directory/federation-directory.ts';
import { createMemoryNetwork, type MemoryNetwork } from '../../../../src/core/federation/memory-transport.ts';
import type { PeerTransport } from '../../../../src/core/federation/transport.ts';
import type { JsonObject } from '../../../../src/core/protocol/types.ts';
import { type Credentials, createTestHomeserver, type TestHomeserver } from '../../../support/hs-client.ts';
import { systemClock } from '../../../../src/platform/system-clock.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

interface Peer {
  readonly t: TestHomeserver;
  readonly user: Credentials;
}

async function startPeer(network: MemoryNetwork, username: string): Promise<Peer> {
  const t = await createTestHomeserver({ transport: (name) => network.transport(name) });
  return { t, user: await t.register(username) };
}

/**
 * Resolves when `joining` hears that `peer` is up. The memory network tells
 * both ends of a new link in one tick, `peer` first, so by then `peer`'s
 * directory knows `joining` too.
 */
function upAt(joining: PeerTransport, peer: string): Promise<void> {
  return new Promise((resolve) =>
    joining.onPeer((name, state) => name === peer && state === 'up' && resolve()),
  );
}

const roomIds = (body: { chunk: { room_id: string }[] }) => body.chunk.map((r) => r.room_id).sort();

describe('network room directory', () => {
  const network = createMemoryNetwork(systemClock);
  let a: Peer;
  let b: Peer;
  let c: Peer;
  let lobby: string;
  let garden: string;
  const extra: PeerTransport[] = [];

  before(async () => {
    [a, b, c] = await Promise.all([
      startPeer(network, 'alice'),
      startPeer(network, 'bob'),
      startPeer(network, 'carol'),
    ]);
    const create = async (peer: Peer, body: object) => {
      const res = await peer.t.request('POST', `${V3}/createRoom`, body, peer.user.accessToken);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.room_id as string;
    };
    lobby = await create(a, {
      visibility: 'public',
      room_alias_name: 'lobby',
      name: 'Lobby',
      topic: 'Say hi',
    });
    garden = await create(b, { visibility: 'public', name: 'Garden' });
    await create(b, { name: 'Not published' });
    await a.t.request(
      'PUT',
      `${V3}/profile/${enc(a.user.userId)}/displayname`,
      { displayname: 'Alice A' },
      a.user.accessToken,
    );
  });
  after(async () => {
    await Promise.all([a.t.close(), b.t.close(), c.t.close(), ...extra.map((x) => x.close())]);
  });

  test('publicRooms without server lists every reachable peer’s rooms, saying where each was found', async () => {
    const res = await c.t.request('GET', `${V3}/publicRooms`);
    assert.equal(res.status, 200);
    assert.deepEqual(roomIds(res.body), [garden, lobby].sort());
    const entry = res.body.chunk.find((r: { room_id: string }) => r.room_id === lobby);
    assert.equal(entry.name, 'Lobby');
    assert.equal(entry.canonical_alias, `#lobby:${a.t.serverName}`);
    assert.deepEqual(entry[FOUND_ON], [a.t.serverName]);
    // The creator's own server lists its room once, with itself first.
    const fromA = await a.t.request('GET', `${V3}/publicRooms`);
    assert.deepEqual(roomIds(fromA.body), [garden, lobby].sort());
    const own = fromA.body.chunk.find((r: { room_id: string }) => r.room_id === lobby);
    assert.deepEqual(own[FOUND_ON], [a.t.serverName]);
  });

  test('the search filter and paging apply to the merged listing', async () => {
    const found = await c.t.request(
      'POST',
      `${V3}/publicRooms`,
      { filter: { generic_search_term: 'garden' } },
      c.user.accessToken,
    );
    assert.deepEqual(roomIds(found.body), [garden]);
    const first = await c.t.request('POST', `${V3}/publicRooms`, { limit: 1 }, c.user.accessToken);
    assert.equal(first.body.chunk.length, 1);
    assert.equal(first.body.total_room_count_estimate, 2);
    const second = await c.t.request(
      'POST',
      `${V3}/publicRooms`,
      { limit: 1, since: first.body.next_batch },
      c.user.accessToken,
    );
    assert.equal(second.body.chunk.length, 1);
    assert.equal(second.body.next_batch, undefined);
    assert.deepEqual([...roomIds(first.body), ...roomIds(second.body)].sort(), [garden, lobby].sort());
  });

  test('server=<name> lists that server only; our own name, ours only', async () => {
    const fromB = await c.t.request('GET', `${V3}/publicRooms?server=${b.t.serverName}`);
    assert.equal(fromB.status, 200);
    assert.deepEqual(roomIds(fromB.body), [garden]);
    const own = await c.t.request('GET', `${V3}/publicRooms?server=${c.t.serverName}`);
    assert.deepEqual(own.body.chunk, []);
    const notAServer = await c.t.request('GET', `${V3}/publicRooms?server=elsewhere.example`);
    assert.equal(notAServer.status, 404);
    const absent = await c.t.request('GET', `${V3}/publicRooms?server=${'0'.repeat(64)}`);
    assert.equal(absent.status, 502);
  });

  test('another server’s alias resolves through query/directory', async () => {
    const res = await c.t.request('GET', `${V3}/directory/room/${enc(`#lobby:${a.t.serverName}`)}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { room_id: lobby, servers: [a.t.serverName] });
    const missing = await c.t.request('GET', `${V3}/directory/room/${enc(`#nope:${a.t.serverName}`)}`);
    assert.equal(missing.status, 404);
    const nowhere = await c.t.request('GET', `${V3}/directory/room/${enc(`#lobby:${'0'.repeat(64)}`)}`);
    assert.equal(nowhere.status, 404);
  });

  test('another server’s user’s profile comes through query/profile', async () => {
    const res = await c.t.request('GET', `${V3}/profile/${enc(a.user.userId)}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { displayname: 'Alice A' });
    const field = await c.t.request('GET', `${V3}/profile/${enc(a.user.userId)}/displayname`);
    assert.deepEqual(field.body, { displayname: 'Alice A' });
    const nobody = await c.t.request('GET', `${V3}/profile/${enc(`@nobody:${a.t.serverName}`)}`);
    assert.equal(nobody.status, 404);
  });

  test('another server’s user’s custom profile fields come through query/profile (spec v1.16)', async () => {
    const put = await a.t.request(
      'PUT',
      `${V3}/profile/${enc(a.user.userId)}/org.example.pronouns`,
      { 'org.example.pronouns': ['she', 'her'] },
      a.user.accessToken,
    );
    assert.equal(put.status, 200);
    const whole = await c.t.request('GET', `${V3}/profile/${enc(a.user.userId)}`);
    assert.deepEqual(whole.body, { displayname: 'Alice A', 'org.example.pronouns': ['she', 'her'] });
    const one = await c.t.request('GET', `${V3}/profile/${enc(a.user.userId)}/org.example.pronouns`);
    assert.deepEqual([one.status, one.body], [200, { 'org.example.pronouns': ['she', 'her'] }]);
    const unset = await c.t.request('GET', `${V3}/profile/${enc(a.user.userId)}/m.tz`);
    assert.deepEqual([unset.status, unset.body.errcode], [404, 'M_NOT_FOUND']);
    await a.t.request(
      'DELETE',
      `${V3}/profile/${enc(a.user.userId)}/org.example.pronouns`,
      undefined,
      a.user.accessToken,
    );
    const gone = await c.t.request('GET', `${V3}/profile/${enc(a.user.userId)}/org.example.pronouns`);
    assert.equal(gone.status, 404);
  });

  test('a lying peer’s profile answer: bad keys, oversized fields and unasked fields are not passed on', async () => {
    const name = '4'.repeat(64);
    const liar = network.transport(name);
    liar.onRequest(async (_from, req) => ({
      status: 200,
      body: {
        displayname: 'x'.repeat(5000),
        avatar_url: 42,
        'Not A Key': 'dropped',
        'org.example.big': 'y'.repeat(70_000),
        'org.example.small': 'kept',
        ...(req.query?.field === 'org.example.small' && { 'org.example.other': 'unasked' }),
      },
    }));
    extra.push(liar);
    await upAt(liar, c.t.serverName);
    const whole = await c.t.request('GET', `${V3}/profile/${enc(`@mallory:${name}`)}`);
    assert.deepEqual([whole.status, whole.body], [200, { 'org.example.small': 'kept' }]);
    const one = await c.t.request('GET', `${V3}/profile/${enc(`@mallory:${name}`)}/org.example.small`);
    assert.deepEqual([one.status, one.body], [200, { 'org.example.small': 'kept' }]);
    const big = await c.t.request('GET', `${V3}/profile/${enc(`@mallory:${name}`)}/org.example.big`);
    assert.equal(big.status, 404);
  });

  test('listings asked for at the same time share one question to each peer', async () => {
    const counter = network.transport('3'.repeat(64));
    let asked = 0;
    counter.onRequest(async (_from, req) => {
      if (req.path === '/_matrix/federation/v1/publicRooms') asked++;
      // Long enough that three requests made together all reach the directory while it is out.
      await new Promise((r) => setTimeout(r, 300));
      return { status: 200, body: { chunk: [] } };
    });
    extra.push(counter);
    await upAt(counter, c.t.serverName);
    const listings = await Promise.all([1, 2, 3].map(() => c.t.request('GET', `${V3}/publicRooms`)));
    for (const res of listings) assert.deepEqual(roomIds(res.body), [garden, lobby].sort());
    assert.equal(asked, 1);
    await c.t.request('GET', `${V3}/publicRooms`);
    assert.equal(asked, 2, 'a later listing asks again');
  });

  test('a peer that never answers cannot stall the listing, and a lying peer’s junk is filtered', async () => {
    const silent = network.transport('1'.repeat(64));
    silent.onRequest(() => new Promise(() => {}));
    const liar = network.transport('2'.repeat(64));
    const lies: JsonObject = {
      chunk: [
        { room_id: 'not a room id', num_joined_members: 5 },
        { room_id: `!fake:${'2'.repeat(64)}`, num_joined_members: -3, name: 'x'.repeat(5000), evil: true },
        { room_id: lobby, num_joined_members: 1_000_000, name: 'Hijacked' },
      ],
    };
    liar.onRequest(async () => ({ status: 200, body: lies }));
    extra.push(silent, liar);
    await Promise.all([upAt(silent, c.t.serverName), upAt(liar, c.t.serverName)]);
    const res = await c.t.request('GET', `${V3}/publicRooms`);
    assert.equal(res.status, 200);
    const fake = res.body.chunk.find((r: { room_id: string }) => r.room_id.startsWith('!fake'));
    assert.deepEqual(fake, {
      room_id: `!fake:${'2'.repeat(64)}`,
      num_joined_members: 0,
      world_readable: false,
      guest_can_join: false,
      [FOUND_ON]: ['2'.repeat(64)],
    });
    assert.equal(res.body.chunk.length, 3);
    // A peer's claims about someone else's room do not replace the creator's entry.
    const real = res.body.chunk.find((r: { room_id: string }) => r.room_id === lobby);
    assert.equal(real.name, 'Lobby');
    assert.deepEqual(real[FOUND_ON], [a.t.serverName, '2'.repeat(64)]);
  });
});
