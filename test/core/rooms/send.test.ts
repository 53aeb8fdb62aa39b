import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Harness, path, startSharedRoom } from './harness.ts';

describe('sending events', () => {
  let hs: Harness;
  let alice: string;
  let bob: string;
  let roomId: string;
  before(async () => {
    ({ hs, alice, bob, roomId } = await startSharedRoom());
  });
  after(() => hs.close());

  const send = (as: string, txnId: string, body: unknown, device?: string, room = roomId) =>
    hs.request('PUT', path`/_matrix/client/v3/rooms/${room}/send/m.room.message/${txnId}`, {
      as,
      body,
      device,
    });
  const getEvent = (as: string, eventId: string) =>
    hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/event/${eventId}`, { as });

  test('a retried txnId returns the same event, also with another body (issue 12)', async () => {
    const first = await send(alice, 'txn-1', { msgtype: 'm.text', body: 'hello' });
    assert.equal(first.status, 200);
    assert.match(first.body.event_id, /^\$[A-Za-z0-9_-]{43}$/);
    const again = await send(alice, 'txn-1', { msgtype: 'm.text', body: 'hello' });
    assert.deepEqual(again.body, first.body);
    const other = await send(alice, 'txn-1', { msgtype: 'm.text', body: 'changed' });
    assert.deepEqual([other.status, other.body], [200, first.body]);
    const otherDevice = await send(alice, 'txn-1', { msgtype: 'm.text', body: 'hello' }, 'PHONE');
    assert.equal(otherDevice.status, 200);
    assert.notEqual(otherDevice.body.event_id, first.body.event_id);
  });

  test('a retried txnId keeps nothing of its write: the timeline goes on from the first (issue 13)', async () => {
    // The retry is built on what the first send left (room-writer.ts, no read),
    // and its write finds the txn id taken: it aborts, nothing of it kept.
    const first = await send(alice, 'txn-keep', { msgtype: 'm.text', body: 'one' });
    const again = await send(alice, 'txn-keep', { msgtype: 'm.text', body: 'one' });
    assert.deepEqual(again.body, first.body);
    const next = await send(alice, 'txn-next', { msgtype: 'm.text', body: 'two' });
    const page = await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/messages`, {
      as: alice,
      query: { dir: 'b', limit: '2' },
    });
    assert.deepEqual(
      page.body.chunk.map((e: { event_id: string }) => e.event_id),
      [next.body.event_id, first.body.event_id],
    );
  });

  test('content nested 1,000 levels is 400 on PUT /state as on /send, also over existing state (issue 12)', async () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 1000; i++) deep = { d: deep };
    const put = (content: unknown) =>
      hs.request('PUT', path`/_matrix/client/v3/rooms/${roomId}/state/m.deep/k`, {
        as: alice,
        body: content,
      });
    assert.equal((await put({ shallow: true })).status, 200);
    const state = await put(deep);
    assert.deepEqual([state.status, state.body.errcode], [400, 'M_BAD_JSON']);
    const sent = await send(alice, 'deep-1', deep);
    assert.deepEqual([sent.status, sent.body.errcode], [400, 'M_BAD_JSON']);
  });

  test('concurrent sends all land, each on the previous one', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => send(bob, `c${i}`, { msgtype: 'm.text', body: `n${i}` })),
    );
    assert.ok(results.every((r) => r.status === 200));
    const page = await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/messages`, {
      as: bob,
      query: { dir: 'b', limit: '8' },
    });
    const ids = (page.body.chunk as { event_id: string }[]).map((e) => e.event_id).sort();
    assert.deepEqual(ids, results.map((r) => r.body.event_id).sort());
  });

  test('the sending device sees its transaction id, nobody else does', async () => {
    const sent = await send(alice, 'mine', { msgtype: 'm.text', body: 'echo' });
    const own = await getEvent(alice, sent.body.event_id);
    assert.equal(own.body.unsigned.transaction_id, 'mine');
    assert.equal(own.body.content.body, 'echo');
    assert.equal(own.body.sender, alice);
    const theirs = await getEvent(bob, sent.body.event_id);
    assert.equal(theirs.body.unsigned.transaction_id, undefined);
  });

  test('bad input: unknown room, invalid room id, not joined, oversize, not JSON', async () => {
    const unknown = await send(alice, 'u1', { body: 'x' }, undefined, `!missing:${hs.serverName}`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.errcode, 'M_NOT_FOUND');
    const invalid = await send(alice, 'u2', { body: 'x' }, undefined, 'missing');
    assert.equal(invalid.status, 400);
    const stranger = await send(hs.user('eve'), 'u3', { body: 'x' });
    assert.equal(stranger.status, 403);
    const huge = await send(alice, 'u4', { msgtype: 'm.text', body: 'x'.repeat(70_000) });
    assert.equal(huge.status, 413);
    assert.equal(huge.body.errcode, 'M_TOO_LARGE');
    const nearLimit = await send(alice, 'u5', { msgtype: 'm.text', body: 'x'.repeat(65_000) });
    assert.equal(nearLimit.status, 413);
    const notJson = await hs.request('PUT', path`/_matrix/client/v3/rooms/${roomId}/send/m.room.message/u6`, {
      as: alice,
      raw: new TextEncoder().encode('{oops'),
    });
    assert.equal(notJson.status, 400);
    assert.equal(notJson.body.errcode, 'M_NOT_JSON');
    const floats = await send(alice, 'u7', { value: 1.5 });
    assert.equal(floats.status, 400);
    const noToken = await hs.request('PUT', path`/_matrix/client/v3/rooms/${roomId}/send/m.room.message/u8`, {
      body: {},
    });
    assert.equal(noToken.status, 401);
  });

  test('state: put, read one and all, unchanged put returns the same event, power is checked', async () => {
    const put = (as: string, type: string, key: string, body: unknown) =>
      hs.request('PUT', path`/_matrix/client/v3/rooms/${roomId}/state/${type}/${key}`, { as, body });
    const first = await put(alice, 'm.room.topic', '', { topic: 'hi' });
    assert.equal(first.status, 200);
    const same = await put(alice, 'm.room.topic', '', { topic: 'hi' });
    assert.equal(same.body.event_id, first.body.event_id);
    const one = await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/state/m.room.topic/`, {
      as: bob,
    });
    assert.equal(one.status, 200);
    assert.deepEqual(one.body, { topic: 'hi' });
    const noKey = await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/state/m.room.topic`, {
      as: bob,
    });
    assert.deepEqual(noKey.body, { topic: 'hi' });
    const asEvent = await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/state/m.room.topic/`, {
      as: bob,
      query: { format: 'event' },
    });
    assert.equal(asEvent.body.event_id, first.body.event_id);
    const denied = await put(bob, 'm.room.name', '', { name: 'mine now' });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.errcode, 'M_FORBIDDEN');
    const custom = await put(alice, 'org.example.pin', 'a/b', { pinned: true });
    assert.equal(custom.status, 200);
    const withSlash = await hs.request(
      'GET',
      path`/_matrix/client/v3/rooms/${roomId}/state/org.example.pin/${'a/b'}`,
      {
        as: bob,
      },
    );
    assert.deepEqual(withSlash.body, { pinned: true });
    const missing = await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/state/m.room.avatar/`, {
      as: bob,
    });
    assert.equal(missing.status, 404);
    const userKey = await put(bob, 'org.example.status', alice, { busy: true });
    assert.equal(userKey.status, 403);
    const all = await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/state`, { as: bob });
    assert.ok(all.body.some((e: { type: string }) => e.type === 'm.room.topic'));
    const badAlias = await put(alice, 'm.room.canonical_alias', '', { alias: `#nope:${hs.serverName}` });
    assert.equal(badAlias.status, 400);
    assert.equal(badAlias.body.errcode, 'M_BAD_ALIAS');
  });

  test('a user who left reads the state as it was when they left', async () => {
    const room = await hs.createRoom(alice, { preset: 'public_chat', name: 'Before' });
    await hs.request('POST', path`/_matrix/client/v3/rooms/${room}/join`, { as: bob, body: {} });
    await hs.request('POST', path`/_matrix/client/v3/rooms/${room}/leave`, { as: bob, body: {} });
    await hs.request('PUT', path`/_matrix/client/v3/rooms/${room}/state/m.room.name/`, {
      as: alice,
      body: { name: 'After' },
    });
    const name = await hs.request('GET', path`/_matrix/client/v3/rooms/${room}/state/m.room.name/`, {
      as: bob,
    });
    assert.deepEqual(name.body, { name: 'Before' });
    const never = await hs.request('GET', path`/_matrix/client/v3/rooms/${room}/state`, {
      as: hs.user('eve'),
    });
    assert.equal(never.status, 403);
  });
});

describe('redactions', () => {
  for (const version of ['10', '11']) {
    test(`room version ${version}: the redacted event is served pruned, with redacted_because`, async () => {
      const { hs, alice, bob, roomId } = await startSharedRoom({ room_version: version });
      const target = await hs.sendText(roomId, alice, 'oops');
      const bobs = await hs.sendText(roomId, bob, 'mine');
      const denied = await hs.request('PUT', path`/_matrix/client/v3/rooms/${roomId}/redact/${target}/r1`, {
        as: bob,
        body: {},
      });
      assert.equal(denied.status, 403);
      const ownRedaction = await hs.request(
        'PUT',
        path`/_matrix/client/v3/rooms/${roomId}/redact/${bobs}/r2`,
        {
          as: bob,
          body: {},
        },
      );
      assert.equal(ownRedaction.status, 200);
      const res = await hs.request('PUT', path`/_matrix/client/v3/rooms/${roomId}/redact/${target}/r3`, {
        as: alice,
        body: { reason: 'typo' },
      });
      assert.equal(res.status, 200);
      const again = await hs.request('PUT', path`/_matrix/client/v3/rooms/${roomId}/redact/${target}/r3`, {
        as: alice,
        body: { reason: 'typo' },
      });
      assert.equal(again.body.event_id, res.body.event_id);
      const event = await hs.request('GET', path`/_matrix/client/v3/rooms/${roomId}/event/${target}`, {
        as: bob,
      });
      assert.deepEqual(event.body.content, {});
      assert.equal(event.body.unsigned.redacted_because.event_id, res.body.event_id);
      const redaction = await hs.request(
        'GET',
        path`/_matrix/client/v3/rooms/${roomId}/event/${res.body.event_id}`,
        {
          as: bob,
        },
      );
      assert.equal(redaction.body.redacts, target);
      assert.equal(redaction.body.content.reason, 'typo');
      if (version === '11') assert.equal(redaction.body.content.redacts, target);
      else assert.equal(redaction.body.content.redacts, undefined);
      const unknown = await hs.request(
        'PUT',
        path`/_matrix/client/v3/rooms/${roomId}/redact/${'$nothing'}/r4`,
        {
          as: alice,
          body: {},
        },
      );
      assert.equal(unknown.status, 404);
      await hs.close();
    });
  }
});
