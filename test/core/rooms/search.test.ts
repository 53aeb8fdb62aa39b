import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type Credentials,
  homeserverWithAliceAndBob,
  type Json,
  type TestHomeserver,
} from '../../support/hs-client.ts';
import { COUNT_CAP } from '../../../src/core/rooms/search-query.ts';

const V3 = '/_matrix/client/v3';

describe('POST /search', () => {
  let t: TestHomeserver;
  let alice: Credentials;
  let bob: Credentials;
  let garden: string;
  let secret: string;
  let txn = 0;

  async function send(who: Credentials, roomId: string, body: string, type = 'm.room.message') {
    const content = type === 'm.room.message' ? { msgtype: 'm.text', body } : { ciphertext: body };
    const path = `${V3}/rooms/${encodeURIComponent(roomId)}/send/${type}/t${++txn}`;
    const res = await t.request('PUT', path, content, who.accessToken);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.event_id as string;
  }

  async function search(who: Credentials, criteria: Json, nextBatch?: string) {
    const query = nextBatch === undefined ? '' : `?next_batch=${encodeURIComponent(nextBatch)}`;
    const body = { search_categories: { room_events: criteria } };
    const res = await t.request('POST', `${V3}/search${query}`, body, who.accessToken);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.search_categories.room_events;
  }

  const bodies = (events: Json) => events.results.map((r: Json) => r.result.content.body);

  before(async () => {
    ({ t, alice, bob } = await homeserverWithAliceAndBob());
    const create = (who: Credentials, body: Json) =>
      t.request('POST', `${V3}/createRoom`, body, who.accessToken).then((r) => r.body.room_id as string);
    garden = await create(alice, { name: 'The Garden', topic: 'roses and tulips' });
    secret = await create(bob, { name: 'Bob alone' });
    await send(alice, garden, 'The roses are blooming');
    await send(alice, garden, 'Café au lait with roses');
    await send(alice, garden, 'nothing to see');
    await send(bob, secret, 'my secret roses');
  });
  after(() => t.close());

  test('finds words in the rooms of the searcher only, folding case and accents', async () => {
    const found = await search(alice, { search_term: 'ROSES', order_by: 'recent', keys: ['content.body'] });
    assert.deepEqual(bodies(found), ['Café au lait with roses', 'The roses are blooming']);
    assert.equal(found.count, 2);
    assert.equal((await search(alice, { search_term: 'ROSES' })).count, 3, 'the topic too');
    assert.ok(found.highlights.includes('roses'));
    assert.deepEqual(bodies(await search(alice, { search_term: 'cafe lait' })), ['Café au lait with roses']);
    assert.deepEqual(bodies(await search(bob, { search_term: 'roses' })), ['my secret roses']);
    const topic = await search(alice, { search_term: 'tulips', keys: ['content.topic'] });
    assert.deepEqual(
      topic.results.map((r: Json) => r.result.type),
      ['m.room.topic'],
    );
    assert.equal((await search(alice, { search_term: 'tulips', keys: ['content.body'] })).count, 0);
  });

  test('pages with next_batch in both orders, each result once', async () => {
    for (let i = 0; i < 7; i++) await send(alice, garden, `tulip number ${i}${i % 2 ? ' tulip' : ''}`);
    for (const order_by of ['recent', 'rank']) {
      const seen: string[] = [];
      let page = await search(alice, { search_term: 'tulip', order_by, filter: { limit: 3 } });
      assert.equal(page.count, 7);
      for (;;) {
        seen.push(...bodies(page));
        if (!page.next_batch) break;
        page = await search(alice, { search_term: 'tulip', order_by, filter: { limit: 3 } }, page.next_batch);
      }
      assert.equal(seen.length, 7, order_by);
      assert.equal(new Set(seen).size, 7, order_by);
      if (order_by === 'recent') assert.equal(seen[0], 'tulip number 6');
      else assert.match(seen[0]!, / tulip$/);
    }
  });

  test('event context with profiles, room state and groups', async () => {
    const found = await search(alice, {
      search_term: 'blooming',
      event_context: { before_limit: 2, after_limit: 1, include_profile: true },
      include_state: true,
      groupings: { group_by: [{ key: 'room_id' }, { key: 'sender' }] },
    });
    const [result] = found.results;
    assert.deepEqual(
      result.context.events_after.map((e: Json) => e.content.body),
      ['Café au lait with roses'],
    );
    assert.equal(result.context.events_before.length, 2);
    assert.ok(result.context.start && result.context.end);
    assert.ok(alice.userId in result.context.profile_info);
    assert.ok(found.state[garden].some((e: Json) => e.type === 'm.room.create'));
    assert.deepEqual(found.groups.room_id[garden].results, [result.result.event_id]);
    assert.equal(found.groups.sender[alice.userId].order, 1);
  });

  test('filter senders, types, rooms; history visibility at the event', async () => {
    await t.request(
      'POST',
      `${V3}/rooms/${encodeURIComponent(garden)}/invite`,
      { user_id: bob.userId },
      alice.accessToken,
    );
    const state = `${V3}/rooms/${encodeURIComponent(garden)}/state/m.room.history_visibility/`;
    await t.request('PUT', state, { history_visibility: 'joined' }, alice.accessToken);
    await send(alice, garden, 'lavender before bob');
    await t.request('POST', `${V3}/rooms/${encodeURIComponent(garden)}/join`, {}, bob.accessToken);
    await send(alice, garden, 'lavender after bob');
    assert.deepEqual(bodies(await search(bob, { search_term: 'lavender' })), ['lavender after bob']);
    assert.equal((await search(alice, { search_term: 'lavender' })).count, 2);
    const mine = await search(bob, { search_term: 'roses', filter: { senders: [bob.userId] } });
    assert.deepEqual(bodies(mine), ['my secret roses']);
    const notSecret = await search(bob, {
      search_term: 'roses',
      keys: ['content.body'],
      filter: { not_rooms: [secret] },
    });
    assert.deepEqual(
      bodies(notSecret),
      ['Café au lait with roses', 'The roses are blooming'],
      'shared history',
    );
    const noMessages = await search(alice, {
      search_term: 'roses',
      filter: { not_types: ['m.room.message'] },
    });
    assert.deepEqual(
      noMessages.results.map((r: Json) => r.result.type),
      ['m.room.topic'],
    );
  });

  test('redacted and encrypted events are not found', async () => {
    const id = await send(alice, garden, 'marigold soon gone');
    assert.equal((await search(alice, { search_term: 'marigold' })).count, 1);
    const redact = `${V3}/rooms/${encodeURIComponent(garden)}/redact/${encodeURIComponent(id)}/r${++txn}`;
    assert.equal((await t.request('PUT', redact, {}, alice.accessToken)).status, 200);
    assert.equal((await search(alice, { search_term: 'marigold' })).count, 0);
    await send(alice, garden, 'hidden orchid', 'm.room.encrypted');
    assert.equal((await search(alice, { search_term: 'orchid' })).count, 0);
  });

  test('any text is words or nothing: operators, quotes, wildcards, emoji, 5,000 characters', async () => {
    const inputs = [
      'roses AND NOT tulips',
      'roses OR "blooming',
      '"roses"',
      'ros*',
      'NEAR(roses blooming, 2)',
      "^roses -tulip +café : ( ) { } [ ] \\ ' ` ~ ! @ # $ % & | ; , . ? /",
      'body:roses',
      '🌹🌷',
      '',
      '\u0000\uFFFF\uD800',
      'r'.repeat(5000),
      `${'roses '.repeat(800)}`,
    ];
    for (const search_term of inputs) {
      const body = { search_categories: { room_events: { search_term } } };
      const res = await t.request('POST', `${V3}/search`, body, alice.accessToken);
      assert.equal(res.status, 200, `${search_term.slice(0, 40)}: ${JSON.stringify(res.body)}`);
    }
    const many = Array.from({ length: 2500 }, (_, i) => `w${i}`).join(' ');
    const tooMany = await t.request(
      'POST',
      `${V3}/search`,
      { search_categories: { room_events: { search_term: many } } },
      alice.accessToken,
    );
    assert.deepEqual([tooMany.status, tooMany.body.errcode], [400, 'M_INVALID_PARAM']);
    assert.equal((await search(alice, { search_term: '"roses"' })).count, 3);
    assert.equal((await search(alice, { search_term: 'ros*' })).count, 0);
    assert.deepEqual(t.errors, []);
  });

  test('many matches over several rooms: newest first across rooms, each once, in pages past the read batches', async () => {
    const rooms: string[] = [];
    for (let r = 0; r < 3; r++)
      rooms.push((await t.request('POST', `${V3}/createRoom`, {}, alice.accessToken)).body.room_id);
    const sent: string[] = [];
    for (let i = 0; i < 90; i++) {
      const body = `peony ${i}${i % 3 === 0 ? ' iris' : ''}`;
      await send(alice, rooms[(i * 7) % 3]!, body);
      sent.push(body);
    }
    const newestFirst = [...sent].reverse();
    const seen: string[] = [];
    let page = await search(alice, { search_term: 'peony', order_by: 'recent', filter: { limit: 25 } });
    assert.equal(page.count, 90, 'one word over every key: the index count, exact');
    for (;;) {
      seen.push(...bodies(page));
      if (!page.next_batch) break;
      const next = { search_term: 'peony', order_by: 'recent', filter: { limit: 25 } };
      page = await search(alice, next, page.next_batch);
      assert.equal(page.count, 90, 'later pages count the same');
    }
    assert.deepEqual(seen, newestFirst);
    const both = await search(alice, {
      search_term: 'iris peony',
      order_by: 'recent',
      filter: { limit: 100 },
    });
    assert.deepEqual(
      bodies(both),
      newestFirst.filter((b) => b.endsWith('iris')),
    );
    assert.equal(both.count, 30, 'every candidate read: exact');
    const ranked = await search(alice, { search_term: 'peony', filter: { limit: 100 } });
    assert.equal(ranked.results.length, 90);
  });

  test('a word in more messages than the exact count reads: the count is estimated near the truth', async () => {
    const roomId = (await t.request('POST', `${V3}/createRoom`, {}, alice.accessToken)).body.room_id;
    const total = COUNT_CAP + 100;
    for (let i = 0; i < total; i++) await send(alice, roomId, `zinnia ${i}`);
    for (const order_by of ['recent', 'rank']) {
      const page = await search(alice, { search_term: 'zinnia', order_by });
      assert.equal(page.results.length, 10);
      assert.ok(Math.abs(page.count - total) <= total / 10, `${order_by}: ${page.count} is near ${total}`);
    }
    const both = await search(alice, { search_term: 'zinnia 7', order_by: 'recent' });
    assert.deepEqual(bodies(both), ['zinnia 7']);
  });

  test('malformed bodies and tokens are spec errors', async () => {
    const cases: [Json, string, string?][] = [
      [{}, 'M_MISSING_PARAM'],
      [{ search_categories: [] }, 'M_BAD_JSON'],
      [{ search_categories: { room_events: {} } }, 'M_MISSING_PARAM'],
      [{ search_categories: { room_events: { search_term: 1 } } }, 'M_BAD_JSON'],
      [
        { search_categories: { room_events: { search_term: 'a', keys: ['content.url'] } } },
        'M_INVALID_PARAM',
      ],
      [{ search_categories: { room_events: { search_term: 'a', order_by: 'size' } } }, 'M_INVALID_PARAM'],
      [{ search_categories: { room_events: { search_term: 'a', filter: { limit: 'x' } } } }, 'M_BAD_JSON'],
      [
        { search_categories: { room_events: { search_term: 'a', event_context: { before_limit: -1 } } } },
        'M_INVALID_PARAM',
      ],
      [{ search_categories: { room_events: { search_term: 'a' } } }, 'M_INVALID_PARAM', 'junk'],
      [{ search_categories: { room_events: { search_term: 'a' } } }, 'M_INVALID_PARAM', 's12'],
    ];
    for (const [body, errcode, token] of cases) {
      const path = token ? `${V3}/search?next_batch=${token}` : `${V3}/search`;
      const res = await t.request('POST', path, body, alice.accessToken);
      assert.equal(res.body.errcode, errcode, JSON.stringify(body));
      assert.equal(res.status, 400);
    }
    const none = await t.request('POST', `${V3}/search`, { search_categories: {} }, alice.accessToken);
    assert.deepEqual(none.body, { search_categories: {} });
    assert.deepEqual(t.errors, []);
  });
});
