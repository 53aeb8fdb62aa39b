import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type Credentials,
  homeserverWithAliceAndBob,
  type Json,
  type TestHomeserver,
} from '../../support/hs-client.ts';

const V3 = '/_matrix/client/v3';

describe('GET /notifications', () => {
  let t: TestHomeserver;
  let alice: Credentials;
  let bob: Credentials;
  let roomId: string;
  let txn = 0;

  async function say(who: Credentials, content: Json) {
    const path = `${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/n${++txn}`;
    return (await t.request('PUT', path, content, who.accessToken)).body.event_id as string;
  }
  const list = async (who: Credentials, query = '') => {
    const res = await t.request('GET', `${V3}/notifications${query}`, undefined, who.accessToken);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };

  before(async () => {
    ({ t, alice, bob } = await homeserverWithAliceAndBob());
    roomId = (await t.request('POST', `${V3}/createRoom`, { invite: [bob.userId] }, alice.accessToken)).body
      .room_id;
    await t.request('POST', `${V3}/rooms/${encodeURIComponent(roomId)}/join`, {}, bob.accessToken);
  });
  after(() => t.close());

  test('messages from others notify, mentions highlight, as the unread counts say', async () => {
    await say(alice, { msgtype: 'm.text', body: 'hello all' });
    await say(alice, { msgtype: 'm.notice', body: 'a notice' });
    const mention = await say(alice, {
      msgtype: 'm.text',
      body: 'bob: look',
      'm.mentions': { user_ids: [bob.userId] },
    });
    await say(bob, { msgtype: 'm.text', body: 'my own' });
    const all = await list(bob);
    assert.deepEqual(
      all.notifications.map((n: Json) => n.event.content.body),
      ['bob: look', 'hello all'],
    );
    const [first] = all.notifications;
    assert.equal(first.room_id, roomId);
    assert.equal(first.read, false);
    assert.ok(first.actions.some((a: Json) => a.set_tweak === 'highlight'));
    const highlights = await list(bob, '?only=highlight');
    assert.deepEqual(
      highlights.notifications.map((n: Json) => n.event.event_id),
      [mention],
    );
    const sync = await t.request('GET', `${V3}/sync`, undefined, bob.accessToken);
    const unread = sync.body.rooms.join[roomId].unread_notifications;
    assert.deepEqual(unread, { notification_count: 0, highlight_count: 0 }, 'bob spoke after them');
    assert.deepEqual(
      (await list(alice)).notifications.map((n: Json) => n.event.content.body),
      ['my own'],
    );
  });

  test('read follows the receipt; from and limit page', async () => {
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await say(alice, { msgtype: 'm.text', body: `page ${i}` }));
    const receipt = `${V3}/rooms/${encodeURIComponent(roomId)}/receipt/m.read/${encodeURIComponent(ids[2]!)}`;
    assert.equal((await t.request('POST', receipt, {}, bob.accessToken)).status, 200);
    const first = await list(bob, '?limit=3');
    assert.deepEqual(
      first.notifications.map((n: Json) => [n.event.content.body, n.read]),
      [
        ['page 4', false],
        ['page 3', false],
        ['page 2', true],
      ],
    );
    const second = await list(bob, `?limit=3&from=${first.next_token}`);
    assert.deepEqual(
      second.notifications.map((n: Json) => n.event.content.body),
      ['page 1', 'page 0', 'bob: look'],
    );
    const bad = await t.request('GET', `${V3}/notifications?from=x`, undefined, bob.accessToken);
    assert.deepEqual([bad.status, bad.body.errcode], [400, 'M_INVALID_PARAM']);
    assert.deepEqual(t.errors, []);
  });
});

describe('unread counts over incremental syncs', () => {
  test('added up sync by sync, they equal a fresh count, redactions and own messages included', async () => {
    const { t, alice, bob } = await homeserverWithAliceAndBob();
    try {
      const roomId = (
        await t.request('POST', `${V3}/createRoom`, { invite: [bob.userId] }, alice.accessToken)
      ).body.room_id;
      await t.request('POST', `${V3}/rooms/${encodeURIComponent(roomId)}/join`, {}, bob.accessToken);
      let txn = 0;
      const say = async (who: Credentials, content: Json) =>
        (
          await t.request(
            'PUT',
            `${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/u${++txn}`,
            content,
            who.accessToken,
          )
        ).body.event_id as string;
      const counts = async (since?: string) => {
        const query = since ? `?since=${encodeURIComponent(since)}&timeout=0` : '';
        const res = await t.request('GET', `${V3}/sync${query}`, undefined, bob.accessToken);
        return {
          next: res.body.next_batch as string,
          unread: res.body.rooms.join[roomId]?.unread_notifications,
        };
      };
      let { next } = await counts();
      const steps: (() => Promise<unknown>)[] = [
        () => say(alice, { msgtype: 'm.text', body: 'one' }),
        () => say(alice, { msgtype: 'm.text', body: 'bob: two', 'm.mentions': { user_ids: [bob.userId] } }),
        () => say(alice, { msgtype: 'm.notice', body: 'a notice' }),
        async () => {
          const mention = await say(alice, {
            msgtype: 'm.text',
            body: 'bob!',
            'm.mentions': { user_ids: [bob.userId] },
          });
          await say(alice, { msgtype: 'm.text', body: 'four' });
          const path = `${V3}/rooms/${encodeURIComponent(roomId)}/redact/${encodeURIComponent(mention)}/r${++txn}`;
          return t.request('PUT', path, {}, alice.accessToken);
        },
        () => say(bob, { msgtype: 'm.text', body: 'my own' }),
        () => say(alice, { msgtype: 'm.text', body: 'after mine' }),
      ];
      for (const step of steps) {
        await step();
        const incremental = await counts(next);
        next = incremental.next;
        assert.deepEqual(incremental.unread, (await counts()).unread);
      }
      assert.deepEqual((await counts()).unread, { notification_count: 1, highlight_count: 0 });
    } finally {
      await t.close();
    }
  });
});
