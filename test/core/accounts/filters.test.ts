import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Credentials, homeserverWithAliceAndBob, type TestHomeserver } from '../../support/hs-client.ts';

describe('filters', () => {
  let t: TestHomeserver;
  let alice: Credentials;
  let bob: Credentials;
  let path: string;
  before(async () => {
    ({ t, alice, bob } = await homeserverWithAliceAndBob());
    path = `/_matrix/client/v3/user/${encodeURIComponent(alice.userId)}/filter`;
  });
  after(() => t.close());

  const filter = {
    room: { timeline: { limit: 10, lazy_load_members: true }, state: { lazy_load_members: true } },
  };

  test('a filter is stored and read back as uploaded', async () => {
    const created = await t.request('POST', path, filter, alice.accessToken);
    assert.equal(created.status, 200);
    assert.equal(typeof created.body.filter_id, 'string');
    const second = await t.request('POST', path, {}, alice.accessToken);
    assert.notEqual(second.body.filter_id, created.body.filter_id);
    const read = await t.request('GET', `${path}/${created.body.filter_id}`, undefined, alice.accessToken);
    assert.deepEqual(read.body, filter);
  });

  test('a missing filter is 404 M_NOT_FOUND (clients retry anything else forever)', async () => {
    const res = await t.request('GET', `${path}/999`, undefined, alice.accessToken);
    assert.deepEqual([res.status, res.body.errcode], [404, 'M_NOT_FOUND']);
  });

  test('other users’ filters are 403', async () => {
    assert.equal((await t.request('POST', path, filter, bob.accessToken)).status, 403);
    assert.equal((await t.request('GET', `${path}/0`, undefined, bob.accessToken)).status, 403);
  });

  test('malformed filters are refused with the spec errcode', async () => {
    const cases: [unknown, string][] = [
      ['{"room":', 'M_NOT_JSON'],
      ['[]', 'M_BAD_JSON'],
      [{ room: { timeline: { limit: 'ten' } } }, 'M_BAD_JSON'],
      [{ room: { timeline: { limit: 0 } } }, 'M_BAD_JSON'],
      [{ event_format: 'xml' }, 'M_BAD_JSON'],
      [{ presence: { types: [1] } }, 'M_BAD_JSON'],
      [{ room: { include_leave: 'yes' } }, 'M_BAD_JSON'],
    ];
    for (const [body, errcode] of cases) {
      const res = await t.request('POST', path, body, alice.accessToken);
      assert.deepEqual([res.status, res.body.errcode], [400, errcode], JSON.stringify(body));
    }
    const badUser = await t.request(
      'POST',
      '/_matrix/client/v3/user/alice/filter',
      filter,
      alice.accessToken,
    );
    assert.deepEqual([badUser.status, badUser.body.errcode], [400, 'M_INVALID_PARAM']);
  });
});
