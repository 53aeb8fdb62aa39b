import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REPORTS_PER_WINDOW } from '../../../src/core/rooms/reports.ts';
import { type Credentials, homeserverWithAliceAndBob, type TestHomeserver } from '../../support/hs-client.ts';

const V3 = '/_matrix/client/v3';

describe('reporting content', () => {
  let t: TestHomeserver;
  let alice: Credentials;
  let bob: Credentials;
  let carol: Credentials;
  let roomId: string;
  let eventId: string;

  before(async () => {
    ({ t, alice, bob } = await homeserverWithAliceAndBob());
    carol = await t.register('carol');
    roomId = (await t.request('POST', `${V3}/createRoom`, { preset: 'public_chat' }, alice.accessToken)).body
      .room_id;
    await t.request('POST', `${V3}/rooms/${encodeURIComponent(roomId)}/join`, {}, bob.accessToken);
    const sent = await t.request(
      'PUT',
      `${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/r1`,
      { msgtype: 'm.text', body: 'buy cheap watches' },
      alice.accessToken,
    );
    eventId = sent.body.event_id;
  });
  after(() => t.close());

  const room = () => `${V3}/rooms/${encodeURIComponent(roomId)}`;

  test('an event report reaches the owner with the event and the reporter', async () => {
    const res = await t.request(
      'POST',
      `${room()}/report/${encodeURIComponent(eventId)}`,
      { reason: 'spam', score: -100 },
      bob.accessToken,
    );
    assert.deepEqual([res.status, res.body], [200, {}]);
    // The reported event stays visible to the owner after it is redacted.
    await t.request('PUT', `${room()}/redact/${encodeURIComponent(eventId)}/x1`, {}, alice.accessToken);
    const [report] = await t.hs.reports.list(10);
    assert.equal(report!.kind, 'event');
    assert.equal(report!.reporter, bob.userId);
    assert.equal(report!.reason, 'spam');
    assert.equal(report!.score, -100);
    assert.equal((report!.event as { content: { body: string } }).content.body, 'buy cheap watches');
    await t.hs.reports.dismiss(report!.id);
    assert.deepEqual(await t.hs.reports.list(10), []);
  });

  test('rooms and users are reported; unknown ones and outsiders get 404', async () => {
    assert.equal(
      (await t.request('POST', `${room()}/report`, { reason: 'bad room' }, bob.accessToken)).status,
      200,
    );
    const user = `${V3}/users/${encodeURIComponent(alice.userId)}/report`;
    assert.equal((await t.request('POST', user, { reason: 'rude' }, bob.accessToken)).status, 200);
    const kinds = (await t.hs.reports.list(10)).map((r) => [r.kind, r.roomId ?? r.userId]);
    assert.deepEqual(kinds, [
      ['user', alice.userId],
      ['room', roomId],
    ]);
    const outsider = await t.request(
      'POST',
      `${room()}/report/${encodeURIComponent(eventId)}`,
      {},
      carol.accessToken,
    );
    assert.deepEqual([outsider.status, outsider.body.errcode], [404, 'M_NOT_FOUND']);
    const noEvent = await t.request('POST', `${room()}/report/%24nope`, {}, bob.accessToken);
    assert.equal(noEvent.body.errcode, 'M_NOT_FOUND');
    const noRoom = await t.request('POST', `${V3}/rooms/!nope:x/report`, { reason: 'x' }, bob.accessToken);
    assert.equal(noRoom.body.errcode, 'M_NOT_FOUND');
    const ghost = await t.request(
      'POST',
      `${V3}/users/${encodeURIComponent(`@ghost:${t.serverName}`)}/report`,
      { reason: 'x' },
      bob.accessToken,
    );
    assert.equal(ghost.body.errcode, 'M_NOT_FOUND');
    const noReason = await t.request('POST', `${room()}/report`, {}, bob.accessToken);
    assert.equal(noReason.body.errcode, 'M_MISSING_PARAM');
    const badScore = await t.request(
      'POST',
      `${room()}/report/${encodeURIComponent(eventId)}`,
      { score: 5 },
      bob.accessToken,
    );
    assert.equal(badScore.body.errcode, 'M_INVALID_PARAM');
    const long = await t.request('POST', `${room()}/report`, { reason: 'x'.repeat(5000) }, bob.accessToken);
    assert.equal(long.body.errcode, 'M_INVALID_PARAM');
  });

  // Refused reports count too: the window bounds probing as well as filing.
  test('a flood of reports is refused with 429 and stores nothing more', async () => {
    const dave = await t.register('dave');
    const before = (await t.hs.reports.list(1000)).length;
    const user = `${V3}/users/${encodeURIComponent(bob.userId)}/report`;
    const statuses = [];
    for (let i = 0; i < REPORTS_PER_WINDOW + 5; i++) {
      statuses.push((await t.request('POST', user, { reason: `flood ${i}` }, dave.accessToken)).status);
    }
    assert.deepEqual(statuses.filter((s) => s === 200).length, REPORTS_PER_WINDOW);
    const refused = await t.request('POST', user, { reason: 'again' }, dave.accessToken);
    assert.deepEqual([refused.status, refused.body.errcode], [429, 'M_LIMIT_EXCEEDED']);
    assert.ok(refused.body.retry_after_ms > 0);
    assert.equal((await t.hs.reports.list(1000)).length, before + REPORTS_PER_WINDOW);
    assert.deepEqual(t.errors, []);
  });
});
