import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Harness, path, startSharedRoom } from './harness.ts';

describe('context, relations, timestamp_to_event', () => {
  let hs: Harness;
  let alice: string;
  let bob: string;
  let roomId: string;
  const texts: string[] = [];
  before(async () => {
    ({ hs, alice, bob, roomId } = await startSharedRoom());
    for (let i = 0; i < 20; i++) texts.push(await hs.sendText(roomId, alice, `t${i}`));
  });
  after(() => hs.close());

  const get = async (p: string, query: Record<string, string> = {}, as = bob) => {
    const res = await hs.request('GET', p, { as, query });
    return res;
  };
  const ids = (events: { event_id: string }[]) => events.map((e) => e.event_id);

  test('context: half before (newest first), half after, tokens that continue with /messages', async () => {
    const target = texts[10]!;
    const res = await get(path`/_matrix/client/v3/rooms/${roomId}/context/${target}`, { limit: '6' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.event.event_id, target);
    assert.deepEqual(ids(res.body.events_before), [texts[9], texts[8], texts[7]]);
    assert.deepEqual(ids(res.body.events_after), [texts[11], texts[12], texts[13]]);
    assert.ok(res.body.state.some((e: { type: string }) => e.type === 'm.room.create'));
    const back = await get(path`/_matrix/client/v3/rooms/${roomId}/messages`, {
      dir: 'b',
      limit: '2',
      from: res.body.start,
    });
    assert.deepEqual(ids(back.body.chunk), [texts[6], texts[5]]);
    const forward = await get(path`/_matrix/client/v3/rooms/${roomId}/messages`, {
      dir: 'f',
      limit: '2',
      from: res.body.end,
    });
    assert.deepEqual(ids(forward.body.chunk), [texts[14], texts[15]]);
    const unknown = await get(path`/_matrix/client/v3/rooms/${roomId}/context/${'$nope'}`);
    assert.equal(unknown.status, 404);
  });

  test('relations: by type, paginated, redacted children drop out', async () => {
    const parent = texts[0]!;
    const relate = async (txn: string, type: string, content: Record<string, unknown>) => {
      const res = await hs.request('PUT', path`/_matrix/client/v3/rooms/${roomId}/send/${type}/${txn}`, {
        as: bob,
        body: content,
      });
      assert.equal(res.status, 200);
      return res.body.event_id as string;
    };
    const thread: string[] = [];
    for (let i = 0; i < 5; i++) {
      thread.push(
        await relate(`th${i}`, 'm.room.message', {
          body: `reply ${i}`,
          msgtype: 'm.text',
          'm.relates_to': { rel_type: 'm.thread', event_id: parent },
        }),
      );
    }
    const reaction = await relate('re', 'm.reaction', {
      'm.relates_to': { rel_type: 'm.annotation', event_id: parent, key: '👍' },
    });
    const all = await get(path`/_matrix/client/v1/rooms/${roomId}/relations/${parent}`);
    assert.equal(all.status, 200);
    assert.deepEqual(ids(all.body.chunk), [reaction, ...[...thread].reverse()]);
    const threadOnly = await get(path`/_matrix/client/v1/rooms/${roomId}/relations/${parent}/m.thread`, {
      limit: '2',
    });
    assert.deepEqual(ids(threadOnly.body.chunk), [thread[4], thread[3]]);
    const next = await get(path`/_matrix/client/v1/rooms/${roomId}/relations/${parent}/m.thread`, {
      limit: '10',
      from: threadOnly.body.next_batch,
    });
    assert.deepEqual(ids(next.body.chunk), [thread[2], thread[1], thread[0]]);
    assert.equal(next.body.next_batch, undefined);
    const forward = await get(
      path`/_matrix/client/v1/rooms/${roomId}/relations/${parent}/m.thread/m.room.message`,
      {
        dir: 'f',
      },
    );
    assert.deepEqual(ids(forward.body.chunk), thread);
    const reactions = await get(
      path`/_matrix/client/v1/rooms/${roomId}/relations/${parent}/m.annotation/m.reaction`,
    );
    assert.deepEqual(ids(reactions.body.chunk), [reaction]);
    await hs.request('PUT', path`/_matrix/client/v3/rooms/${roomId}/redact/${reaction}/undo`, {
      as: bob,
      body: {},
    });
    const afterRedaction = await get(
      path`/_matrix/client/v1/rooms/${roomId}/relations/${parent}/m.annotation`,
    );
    assert.deepEqual(afterRedaction.body.chunk, []);
    const missing = await get(path`/_matrix/client/v1/rooms/${roomId}/relations/${'$missing'}`);
    assert.equal(missing.status, 404);
  });

  test('timestamp_to_event finds the nearest visible event in each direction', async () => {
    const event = await get(path`/_matrix/client/v3/rooms/${roomId}/event/${texts[5]!}`);
    const ts = event.body.origin_server_ts as number;
    const forward = await get(path`/_matrix/client/v1/rooms/${roomId}/timestamp_to_event`, {
      ts: String(ts),
      dir: 'f',
    });
    assert.deepEqual(forward.body, { event_id: texts[5], origin_server_ts: ts });
    const backward = await get(path`/_matrix/client/v1/rooms/${roomId}/timestamp_to_event`, {
      ts: String(ts),
      dir: 'b',
    });
    assert.equal(backward.body.event_id, texts[5]);
    const before = await get(path`/_matrix/client/v1/rooms/${roomId}/timestamp_to_event`, {
      ts: String(ts - 1),
      dir: 'b',
    });
    assert.equal(before.body.event_id, texts[4]);
    const future = await get(path`/_matrix/client/v1/rooms/${roomId}/timestamp_to_event`, {
      ts: String(ts * 2),
      dir: 'f',
    });
    assert.equal(future.status, 404);
    const noTs = await get(path`/_matrix/client/v1/rooms/${roomId}/timestamp_to_event`, { dir: 'f' });
    assert.equal(noTs.status, 400);
  });
});
