// GET /_matrix/client/v3/events (spec: "Peeking"): new events of a
// world-readable room for a user who is not in it, waiting for them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Credentials, homeserverWithAliceAndBob, type TestHomeserver } from '../../support/hs-client.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

describe('GET /events: peeking', () => {
  let t: TestHomeserver;
  let alice: Credentials;
  let bob: Credentials;
  let open: string;
  let closed: string;
  before(async () => {
    ({ t, alice, bob } = await homeserverWithAliceAndBob());
    const readable = {
      type: 'm.room.history_visibility',
      state_key: '',
      content: { history_visibility: 'world_readable' },
    };
    open = (await t.request('POST', `${V3}/createRoom`, { initial_state: [readable] }, alice.accessToken))
      .body.room_id;
    closed = (await t.request('POST', `${V3}/createRoom`, {}, alice.accessToken)).body.room_id;
  });
  after(() => t.close());

  const send = (roomId: string, body: string) =>
    t.request(
      'PUT',
      `${V3}/rooms/${enc(roomId)}/send/m.room.message/${Math.random()}`,
      { msgtype: 'm.text', body },
      alice.accessToken,
    );
  const events = (query: string, token = bob.accessToken) =>
    t.request('GET', `${V3}/events?${query}`, undefined, token);

  test('a user not in a world-readable room waits for its next event and gets it', async () => {
    const now = await events(`room_id=${enc(open)}&timeout=0`);
    assert.equal(now.status, 200);
    assert.deepEqual(now.body.chunk, []);
    const waiting = events(`room_id=${enc(open)}&from=${now.body.end}&timeout=60000`);
    await send(open, 'hello peekers');
    const res = await waiting;
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.chunk.map((e: { type: string; content: { body?: string } }) => [e.type, e.content.body]),
      [['m.room.message', 'hello peekers']],
    );
    assert.equal(res.body.start, now.body.end);
    const next = await events(`room_id=${enc(open)}&from=${res.body.end}&timeout=0`);
    assert.deepEqual(next.body.chunk, []);
  });

  test('from an earlier token: every event since, oldest first, in pages', async () => {
    const first = await events(`room_id=${enc(open)}&timeout=0`);
    for (let i = 0; i < 3; i++) await send(open, `m${i}`);
    const res = await events(`room_id=${enc(open)}&from=${first.body.end}&timeout=0`);
    assert.deepEqual(
      res.body.chunk.map((e: { content: { body?: string } }) => e.content.body),
      ['m0', 'm1', 'm2'],
    );
  });

  test('a room that is not world-readable is 403, an unknown one 404; bad tokens 400', async () => {
    const forbidden = await events(`room_id=${enc(closed)}&timeout=0`);
    assert.deepEqual([forbidden.status, forbidden.body.errcode], [403, 'M_FORBIDDEN']);
    const unknown = await events(`room_id=${enc('!nowhere:example.org')}&timeout=0`);
    assert.equal(unknown.status, 404);
    for (const query of [
      `room_id=${enc(open)}&from=junk`,
      'room_id=not-a-room',
      `room_id=${enc(open)}&timeout=-1`,
    ]) {
      assert.equal((await events(query)).status, 400, query);
    }
    assert.equal((await t.request('GET', `${V3}/events?room_id=${enc(open)}`)).status, 401);
    assert.deepEqual(t.errors, []);
  });

  test('without room_id: the events of the rooms the user is joined to', async () => {
    const start = await events('timeout=0', alice.accessToken);
    await send(closed, 'members only');
    const res = await events(`from=${start.body.end}&timeout=0`, alice.accessToken);
    assert.deepEqual(
      res.body.chunk.map((e: { room_id: string; content: { body?: string } }) => [e.room_id, e.content.body]),
      [[closed, 'members only']],
    );
    const bobs = await events(`from=${start.body.end}&timeout=0`);
    assert.deepEqual(bobs.body.chunk, []);
  });
});
