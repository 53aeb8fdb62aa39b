// OpenID: a token requested by a user, checked by a third party through the
// user's homeserver's federation userinfo over the peer transport.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMemoryNetwork } from '../../../src/core/federation/memory-transport.ts';
import { systemClock } from '../../../src/platform/system-clock.ts';
import { createTestHomeserver } from '../../support/hs-client.ts';

describe('OpenID', () => {
  test('request_token, then userinfo over federation names the user; junk tokens are 401', async () => {
    const network = createMemoryNetwork(systemClock);
    const t = await createTestHomeserver({ transport: (name) => network.transport(name) });
    const widget = network.transport('cd'.repeat(32));
    try {
      const alice = await t.register('alice');
      const bob = await t.register('bob');
      const path = `/_matrix/client/v3/user/${encodeURIComponent(alice.userId)}/openid/request_token`;
      const res = await t.request('POST', path, {}, alice.accessToken);
      assert.equal(res.status, 200);
      assert.equal(res.body.token_type, 'Bearer');
      assert.equal(res.body.matrix_server_name, t.serverName);
      assert.equal(res.body.expires_in, 3600);
      const userinfo = (token: string) =>
        widget.request(t.serverName, {
          method: 'GET',
          path: '/_matrix/federation/v1/openid/userinfo',
          query: { access_token: token },
          origin: widget.serverName,
        });
      assert.deepEqual((await userinfo(res.body.access_token)).body, { sub: alice.userId });
      for (const junk of ['', 'nope', alice.accessToken]) {
        const refused = await userinfo(junk);
        assert.deepEqual(
          [refused.status, (refused.body as { errcode: string }).errcode],
          [401, 'M_UNKNOWN_TOKEN'],
        );
      }
      const other = await t.request('POST', path, {}, bob.accessToken);
      assert.deepEqual([other.status, other.body.errcode], [403, 'M_FORBIDDEN']);
      assert.deepEqual(t.errors, []);
    } finally {
      await Promise.all([t.close(), widget.close()]);
    }
  });
});
