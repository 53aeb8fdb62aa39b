import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Harness, path, startHarness, startSharedRoom } from './harness.ts';

interface Page {
  chunk: { event_id: string; type: string; sender: string; content: { body?: string } }[];
  start: string;
  end?: string;
  state?: { type: string; state_key: string }[];
}

describe('/messages', () => {
  let hs: Harness;
  let alice: string;
  let bob: string;
  let roomId: string;
  const sent: string[] = [];
  before(async () => {
    ({ hs, alice, bob, roomId } = await startSharedRoom());
    for (let i = 0; i < 250; i++) sent.push(await hs.sendText(roomId, i % 2 ? bob : alice, `m${i}`));
  });
  after(() => hs.close());

  const page = async (query: Record<string, string>, as = alice): Promise<Page> => {
    const res = await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/messages`, { as, query });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  test('backwards over 250 messages: newest first, no duplicates, no gaps, end omitted at the start', async () => {
    const seen: string[] = [];
    let from: string | undefined;
    let pages = 0;
    for (;;) {
      const p = await page(from ? { dir: 'b', limit: '17', from } : { dir: 'b', limit: '17' });
      if (from) assert.equal(p.start, from);
      assert.ok(p.chunk.length <= 17);
      seen.push(...p.chunk.map((e) => e.event_id));
      pages++;
      if (!p.end) break;
      from = p.end;
    }
    assert.equal(new Set(seen).size, seen.length);
    const messages = seen.filter((id) => sent.includes(id));
    assert.deepEqual(messages, [...sent].reverse());
    assert.ok(pages >= 15);
    const oldest = (await page({ dir: 'b', limit: '1', from: from! })).chunk;
    assert.ok(oldest.length <= 1);
  });

  test('forwards from the start, and back from a forward token meet without overlap', async () => {
    const seen: string[] = [];
    let from: string | undefined;
    for (;;) {
      const p = await page(from ? { dir: 'f', limit: '40', from } : { dir: 'f', limit: '40' });
      seen.push(...p.chunk.map((e) => e.event_id));
      if (!p.end) break;
      from = p.end;
    }
    assert.equal(seen.length, new Set(seen).size);
    assert.deepEqual(
      seen.filter((id) => sent.includes(id)),
      sent,
    );
    const middle = await page({ dir: 'f', limit: '100' });
    const back = await page({ dir: 'b', limit: '1000', from: middle.end! });
    assert.deepEqual(
      [...back.chunk].reverse().map((e) => e.event_id),
      middle.chunk.map((e) => e.event_id),
    );
  });

  test('to stops the page; filters skip events without using up the limit', async () => {
    const newest = await page({ dir: 'b', limit: '10' });
    const older = await page({ dir: 'b', limit: '5', from: newest.end! });
    const bounded = await page({ dir: 'b', limit: '50', to: newest.end! });
    assert.deepEqual(
      bounded.chunk.map((e) => e.event_id),
      newest.chunk.map((e) => e.event_id),
    );
    assert.equal(bounded.end, undefined);
    assert.equal(older.chunk.length, 5);
    const bobs = await page({ dir: 'b', limit: '20', filter: JSON.stringify({ senders: [bob] }) });
    assert.equal(bobs.chunk.length, 20);
    assert.ok(bobs.chunk.every((e) => e.sender === bob));
    const notMessages = await page({
      dir: 'f',
      limit: '50',
      filter: JSON.stringify({ not_types: ['m.room.message'] }),
    });
    assert.ok(notMessages.chunk.every((e) => e.type !== 'm.room.message'));
    assert.ok(notMessages.chunk.some((e) => e.type === 'm.room.create'));
    const wildcard = await page({ dir: 'b', limit: '3', filter: JSON.stringify({ types: ['m.room.*'] }) });
    assert.equal(wildcard.chunk.length, 3);
    const lazy = await page({ dir: 'b', limit: '4', filter: JSON.stringify({ lazy_load_members: true }) });
    assert.deepEqual(lazy.state?.map((e) => e.state_key).sort(), [alice, bob].sort());
  });

  test('bad parameters are 400; strangers to a shared room are 403', async () => {
    const bad = async (query: Record<string, string>) => {
      const res = await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/messages`, {
        as: alice,
        query,
      });
      assert.equal(res.status, 400, JSON.stringify(query));
    };
    await bad({ dir: 'x' });
    await bad({ dir: 'b', from: 'garbage' });
    await bad({ dir: 'b', limit: 'many' });
    await bad({ dir: 'b', filter: '{not json' });
    await bad({ dir: 'b', filter: JSON.stringify({ types: 'm.room.message' }) });
    const missingDir = await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/messages`, {
      as: alice,
    });
    assert.equal(missingDir.body.errcode, 'M_MISSING_PARAM');
    const stranger = await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/messages`, {
      as: hs.user('eve'),
      query: { dir: 'b' },
    });
    assert.equal(stranger.status, 403);
  });
});

describe('history visibility', () => {
  const setup = async (visibility: string) => {
    const hs = await startHarness();
    const alice = hs.user('alice');
    const bob = hs.user('bob');
    const roomId = await hs.createRoom(alice, {
      preset: 'public_chat',
      initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: visibility } }],
    });
    const early = await hs.sendText(roomId, alice, 'before bob');
    return { hs, alice, bob, roomId, early };
  };
  const texts = async (hs: Harness, roomId: string, as: string) => {
    const res = await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/messages`, {
      as,
      query: { dir: 'b', limit: '100' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return (res.body as Page).chunk.filter((e) => e.type === 'm.room.message').map((e) => e.content.body);
  };

  test('joined: a newcomer sees nothing from before their join', async () => {
    const { hs, alice, bob, roomId, early } = await setup('joined');
    await hs.join(roomId, bob);
    await hs.sendText(roomId, alice, 'after bob');
    assert.deepEqual(await texts(hs, roomId, bob), ['after bob']);
    const event = await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/event/${early}`, {
      as: bob,
    });
    assert.equal(event.status, 404);
    const context = await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/context/${early}`, {
      as: bob,
    });
    assert.equal(context.status, 404);
    await hs.close();
  });

  test('shared: a newcomer sees everything; after leaving, nothing newer', async () => {
    const { hs, alice, bob, roomId } = await setup('shared');
    await hs.join(roomId, bob);
    await hs.sendText(roomId, alice, 'while bob is here');
    await hs.request('POST', path`/_matrix/client/v3/rooms/${roomId}/leave`, { as: bob, body: {} });
    await hs.sendText(roomId, alice, 'after bob left');
    assert.deepEqual(await texts(hs, roomId, bob), ['while bob is here', 'before bob']);
    assert.deepEqual(await texts(hs, roomId, alice), ['after bob left', 'while bob is here', 'before bob']);
    await hs.close();
  });

  test('invited: an invitee sees from the invite on; world_readable: anyone reads', async () => {
    const invited = await setup('invited');
    await invited.hs.request('POST', path`/_matrix/client/v3/rooms/${invited.roomId}/invite`, {
      as: invited.alice,
      body: { user_id: invited.bob },
    });
    await invited.hs.sendText(invited.roomId, invited.alice, 'to the invitee');
    assert.deepEqual(await texts(invited.hs, invited.roomId, invited.bob), ['to the invitee']);
    await invited.hs.close();
    const open = await setup('world_readable');
    assert.deepEqual(await texts(open.hs, open.roomId, open.hs.user('eve')), ['before bob']);
    await open.hs.close();
  });
});
