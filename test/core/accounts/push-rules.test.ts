import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { accountDataSince } from '../../../src/core/accounts/api.ts';
import { accountTableNames } from '../../../src/core/accounts/tables.ts';
import { type Credentials, createTestHomeserver, type TestHomeserver } from '../../support/hs-client.ts';

const RULES = '/_matrix/client/v3/pushrules';

describe('push rules', () => {
  let t: TestHomeserver;
  let alice: Credentials;
  before(async () => {
    t = await createTestHomeserver();
    alice = await t.register('alice');
  });
  after(() => t.close());

  const req = (method: string, path: string, body?: unknown) =>
    t.request(method, `${RULES}${path}`, body, alice.accessToken);
  const ids = (list: { rule_id: string }[]) => list.map((r) => r.rule_id);

  test('a new user gets the default rule set from /pushrules/ and /pushrules/global/', async () => {
    const all = await req('GET', '/');
    assert.equal(all.status, 200);
    const global = (await req('GET', '/global/')).body;
    assert.deepEqual(all.body, { global });
    assert.deepEqual(Object.keys(global).sort(), ['content', 'override', 'room', 'sender', 'underride']);
    assert.equal(global.override[0].rule_id, '.m.rule.master');
    assert.equal(global.content[0].pattern, 'alice');
    assert.equal((await t.request('GET', `${RULES}/`)).status, 401);
  });

  test('new rules rank above the defaults (below master) and before/after place them', async () => {
    const rule = {
      conditions: [{ kind: 'event_match', key: 'content.body', pattern: 'cake' }],
      actions: ['notify'],
    };
    assert.equal((await req('PUT', '/global/override/one', rule)).status, 200);
    assert.equal((await req('PUT', '/global/override/two', rule)).status, 200);
    assert.equal((await req('PUT', '/global/override/three?after=two', rule)).status, 200);
    assert.equal((await req('PUT', '/global/override/zero?before=two', rule)).status, 200);
    const override = (await req('GET', '/global/')).body.override;
    assert.deepEqual(ids(override).slice(0, 6), [
      '.m.rule.master',
      'zero',
      'two',
      'three',
      'one',
      '.m.rule.suppress_notices',
    ]);
    const one = await req('GET', '/global/override/one');
    assert.deepEqual(one.body, { rule_id: 'one', default: false, enabled: true, ...rule });
    const unknown = await req('PUT', '/global/override/four?before=nope', rule);
    assert.deepEqual([unknown.status, unknown.body.errcode], [400, 'M_UNKNOWN']);
  });

  test('content, room and sender rules', async () => {
    assert.equal(
      (await req('PUT', '/global/content/cake', { pattern: 'cake*', actions: ['notify'] })).status,
      200,
    );
    assert.equal((await req('GET', '/global/content/cake')).body.pattern, 'cake*');
    const noPattern = await req('PUT', '/global/content/pie', { actions: [] });
    assert.equal(noPattern.body.errcode, 'M_MISSING_PARAM');
    const room = `!room:${t.serverName}`;
    assert.equal((await req('PUT', `/global/room/${encodeURIComponent(room)}`, { actions: [] })).status, 200);
    const shown = (await req('GET', '/global/')).body.room;
    assert.deepEqual(shown, [{ rule_id: room, default: false, enabled: true, actions: [] }]);
    const notARoom = await req('PUT', '/global/room/garden', { actions: [] });
    assert.deepEqual([notARoom.status, notARoom.body.errcode], [400, 'M_INVALID_PARAM']);
    const notAUser = await req('PUT', '/global/sender/spambot', { actions: [] });
    assert.equal(notAUser.body.errcode, 'M_INVALID_PARAM');
  });

  test('server-default ids, bad kinds and scopes, bad actions are refused', async () => {
    const cases: [string, unknown, string][] = [
      ['/global/override/.m.rule.mine', { actions: [] }, 'M_INVALID_PARAM'],
      ['/global/bogus/x', { actions: [] }, 'M_INVALID_PARAM'],
      ['/device/override/x', { actions: [] }, 'M_INVALID_PARAM'],
      ['/global/override/x', { actions: ['explode'] }, 'M_INVALID_PARAM'],
      ['/global/override/x', { actions: 'notify' }, 'M_BAD_JSON'],
      ['/global/override/x', {}, 'M_MISSING_PARAM'],
      ['/global/override/x', { actions: [], conditions: [{ key: 'type' }] }, 'M_BAD_JSON'],
    ];
    for (const [path, body, errcode] of cases) {
      const res = await req('PUT', path, body);
      assert.deepEqual([res.status, res.body.errcode], [400, errcode], path);
    }
  });

  test('enabled and actions of default and own rules', async () => {
    assert.equal(
      (await req('PUT', '/global/override/.m.rule.master/enabled', { enabled: true })).status,
      200,
    );
    assert.deepEqual((await req('GET', '/global/override/.m.rule.master/enabled')).body, { enabled: true });
    assert.equal(
      (await req('PUT', '/global/underride/.m.rule.message/actions', { actions: [] })).status,
      200,
    );
    assert.deepEqual((await req('GET', '/global/underride/.m.rule.message/actions')).body, { actions: [] });
    const rule = await req('GET', '/global/underride/.m.rule.message');
    assert.equal(rule.body.default, true);
    assert.equal((await req('PUT', '/global/override/one/enabled', { enabled: false })).status, 200);
    assert.equal((await req('GET', '/global/override/one')).body.enabled, false);
    assert.equal(
      (await req('PUT', '/global/override/one/enabled', { enabled: 'no' })).body.errcode,
      'M_BAD_JSON',
    );
  });

  test('unknown rules are 404 M_NOT_FOUND; default rules cannot be deleted', async () => {
    for (const [method, path, body] of [
      ['GET', '/global/override/nope', undefined],
      ['DELETE', '/global/override/nope', undefined],
      ['GET', '/global/override/nope/enabled', undefined],
      ['PUT', '/global/override/nope/actions', { actions: [] }],
    ] as const) {
      const res = await req(method, path, body);
      assert.deepEqual([res.status, res.body.errcode], [404, 'M_NOT_FOUND'], `${method} ${path}`);
    }
    assert.equal((await req('DELETE', '/global/override/.m.rule.master')).status, 400);
    assert.equal((await req('DELETE', '/global/override/one')).status, 200);
    assert.equal((await req('GET', '/global/override/one')).status, 404);
  });

  test('changes reach sync as m.push_rules account data, and the account data endpoint shows them', async () => {
    const changes = await t.store.read(accountTableNames, (tx) => accountDataSince(tx, alice.userId, 0));
    const pushRules = changes.global.filter((e) => e.type === 'm.push_rules');
    assert.equal(pushRules.length, 1);
    const global = (await req('GET', '/global/')).body;
    assert.deepEqual(pushRules[0]?.content, { global });
    const viaAccountData = await t.request(
      'GET',
      `/_matrix/client/v3/user/${encodeURIComponent(alice.userId)}/account_data/m.push_rules`,
      undefined,
      alice.accessToken,
    );
    assert.deepEqual(viaAccountData.body, { global });
  });
});
