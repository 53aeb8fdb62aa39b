// The directory's Server-Server endpoints as another server calls them, and
// alias resolution when the alias's server has gone.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_LISTING_ANSWER_BYTES } from '../../../../src/core/federation/directory/peer-answers.ts';
import { createMemoryNetwork } from '../../../../src/core/federation/memory-transport.ts';
import type { FederationRequest, PeerTransport } from '../../../../src/core/federation/transport.ts';
import type { JsonObject } from '../../../../src/core/protocol/types.ts';
import { type Credentials, createTestHomeserver, type TestHomeserver } from '../../../support/hs-client.ts';
import { systemClock } from '../../../../src/platform/system-clock.ts';

const V1 = '/_matrix/federation/v1';
const V3 = '/_matrix/client/v3';
const REMOTE = 'cd'.repeat(32);

describe('directory federation endpoints', () => {
  const network = createMemoryNetwork(systemClock);
  let hs: TestHomeserver;
  let alice: Credentials;
  let remote: PeerTransport;
  let roomId: string;
  const ask = (req: Omit<FederationRequest, 'origin'>) =>
    remote.request(hs.serverName, { ...req, origin: REMOTE });

  before(async () => {
    hs = await createTestHomeserver({ transport: (name) => network.transport(name) });
    remote = network.transport(REMOTE);
    alice = await hs.register('alice');
    await hs.request(
      'PUT',
      `${V3}/profile/${encodeURIComponent(alice.userId)}/displayname`,
      { displayname: 'Alice' },
      alice.accessToken,
    );
    const created = await hs.request(
      'POST',
      `${V3}/createRoom`,
      { visibility: 'public', room_alias_name: 'hall', name: 'Hall' },
      alice.accessToken,
    );
    roomId = created.body.room_id;
    await hs.request('POST', `${V3}/createRoom`, { visibility: 'public', name: 'Second' }, alice.accessToken);
  });
  after(async () => {
    await remote.close();
    await hs.close();
  });

  test('publicRooms GET pages with limit and since; POST filters', async () => {
    const first = await ask({ method: 'GET', path: `${V1}/publicRooms`, query: { limit: '1' } });
    assert.equal(first.status, 200);
    const body = first.body as {
      chunk: { room_id: string }[];
      next_batch: string;
      total_room_count_estimate: number;
    };
    assert.equal(body.chunk.length, 1);
    assert.equal(body.total_room_count_estimate, 2);
    const next = await ask({
      method: 'GET',
      path: `${V1}/publicRooms`,
      query: { limit: '1', since: body.next_batch },
    });
    assert.equal((next.body as { chunk: unknown[] }).chunk.length, 1);
    const filtered = await ask({
      method: 'POST',
      path: `${V1}/publicRooms`,
      body: { filter: { generic_search_term: 'hall' } },
    });
    assert.deepEqual(
      (filtered.body as { chunk: { room_id: string }[] }).chunk.map((r) => r.room_id),
      [roomId],
    );
    const bad = await ask({ method: 'GET', path: `${V1}/publicRooms`, query: { limit: 'many' } });
    assert.deepEqual([bad.status, (bad.body as { errcode: string }).errcode], [400, 'M_INVALID_PARAM']);
  });

  test('query/directory answers our aliases with the servers in the room', async () => {
    const res = await ask({
      method: 'GET',
      path: `${V1}/query/directory`,
      query: { room_alias: `#hall:${hs.serverName}` },
    });
    assert.deepEqual(res, { status: 200, body: { room_id: roomId, servers: [hs.serverName] } });
    const unknown = await ask({
      method: 'GET',
      path: `${V1}/query/directory`,
      query: { room_alias: `#nope:${hs.serverName}` },
    });
    assert.equal(unknown.status, 404);
    const foreign = await ask({
      method: 'GET',
      path: `${V1}/query/directory`,
      query: { room_alias: `#hall:${REMOTE}` },
    });
    assert.equal(foreign.status, 404);
    const missing = await ask({ method: 'GET', path: `${V1}/query/directory` });
    assert.deepEqual(
      [missing.status, (missing.body as { errcode: string }).errcode],
      [400, 'M_MISSING_PARAM'],
    );
  });

  test('query/profile answers our users, one field when asked', async () => {
    const path = `${V1}/query/profile`;
    const all = await ask({ method: 'GET', path, query: { user_id: alice.userId } });
    assert.deepEqual(all, { status: 200, body: { displayname: 'Alice' } });
    const avatar = await ask({ method: 'GET', path, query: { user_id: alice.userId, field: 'avatar_url' } });
    assert.deepEqual(avatar, { status: 200, body: {} });
    const badField = await ask({ method: 'GET', path, query: { user_id: alice.userId, field: 'age' } });
    assert.equal(badField.status, 400);
    const nobody = await ask({ method: 'GET', path, query: { user_id: `@nobody:${hs.serverName}` } });
    assert.equal(nobody.status, 404);
  });

  test('query/profile serves custom fields (spec v1.16): whole, one by name, absent when unset', async () => {
    const path = `${V1}/query/profile`;
    const put = (key: string, value: unknown) =>
      hs.request(
        'PUT',
        `${V3}/profile/${encodeURIComponent(alice.userId)}/${key}`,
        { [key]: value },
        alice.accessToken,
      );
    assert.equal((await put('m.tz', 'Europe/Paris')).status, 200);
    assert.equal((await put('org.example.pets', { cats: 2 })).status, 200);
    const all = await ask({ method: 'GET', path, query: { user_id: alice.userId } });
    assert.deepEqual(all, {
      status: 200,
      body: { displayname: 'Alice', 'm.tz': 'Europe/Paris', 'org.example.pets': { cats: 2 } },
    });
    const one = await ask({
      method: 'GET',
      path,
      query: { user_id: alice.userId, field: 'org.example.pets' },
    });
    assert.deepEqual(one, { status: 200, body: { 'org.example.pets': { cats: 2 } } });
    const unset = await ask({
      method: 'GET',
      path,
      query: { user_id: alice.userId, field: 'org.example.none' },
    });
    assert.deepEqual(unset, { status: 200, body: {} });
    const tooLong = await ask({
      method: 'GET',
      path,
      query: { user_id: alice.userId, field: `a.${'b'.repeat(300)}` },
    });
    assert.equal(tooLong.status, 400);
  });

  test('an unknown federation path is 404 M_UNRECOGNIZED, a wrong method 405', async () => {
    const unknown = await ask({ method: 'GET', path: `${V1}/nothing/here` });
    assert.deepEqual(
      [unknown.status, (unknown.body as { errcode: string }).errcode],
      [404, 'M_UNRECOGNIZED'],
    );
    const wrong = await ask({ method: 'PUT', path: `${V1}/query/profile` });
    assert.equal(wrong.status, 405);
  });

  test('an alias whose server has gone is not believed from a peer that lists a room without proof (issue 12)', async () => {
    const gone = 'ef'.repeat(32);
    const alias = `#old:${gone}`;
    const orphan = `!orphan:${gone}`;
    const listing: JsonObject = {
      chunk: [{ room_id: orphan, num_joined_members: 2, canonical_alias: alias }],
    };
    const notFound: JsonObject = { errcode: 'M_NOT_FOUND', error: 'no' };
    remote.onRequest(async (_from, req) =>
      req.path === `${V1}/publicRooms` ? { status: 200, body: listing } : { status: 404, body: notFound },
    );
    const res = await hs.request('GET', `${V3}/directory/room/${encodeURIComponent(alias)}`);
    // Only the alias's server speaks for it; a mirror must bring the room's own canonical alias event
    // signed by that server (test/node/hostile/alias-hijack.test.ts resolves one that does).
    assert.equal(res.status, 404);
  });
});

describe('a publicRooms page within the bytes askers read', () => {
  const network = createMemoryNetwork(systemClock);
  let hs: TestHomeserver;
  let remote: PeerTransport;
  const rooms: string[] = [];

  before(async () => {
    hs = await createTestHomeserver({ transport: (name) => network.transport(name) });
    remote = network.transport(REMOTE);
    const alice = await hs.register('alice');
    // Five rooms whose topics (60,000 characters each) make one page pass MAX_LISTING_ANSWER_BYTES.
    for (let i = 0; i < 5; i++) {
      const created = await hs.request(
        'POST',
        `${V3}/createRoom`,
        { visibility: 'public', name: `Big ${i}`, topic: `${i}`.repeat(60_000) },
        alice.accessToken,
      );
      rooms.push(created.body.room_id);
    }
  });
  after(async () => {
    await remote.close();
    await hs.close();
  });

  test('a page ends where it would pass the cap, and next_batch goes on from there', async () => {
    const seen: string[] = [];
    let since: string | undefined;
    for (let pages = 0; pages < 5; pages++) {
      const res = await remote.request(
        hs.serverName,
        {
          method: 'GET',
          path: `${V1}/publicRooms`,
          query: since === undefined ? {} : { since },
          origin: REMOTE,
        },
        { maxBodyBytes: MAX_LISTING_ANSWER_BYTES },
      );
      assert.equal(res.status, 200);
      const body = res.body as { chunk: { room_id: string }[]; next_batch?: string };
      assert.ok(body.chunk.length < rooms.length);
      seen.push(...body.chunk.map((r) => r.room_id));
      since = body.next_batch;
      if (since === undefined) break;
    }
    assert.deepEqual(seen.sort(), [...rooms].sort());
  });
});
