// GET /voip/turnServer: the node's relay's TURN credentials, or Synapse's
// `{}` when there is none; only for a signed-in user; asked of the relays
// once per half lifetime.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Clock } from '../../../src/core/ports.ts';
import type { TurnCredentials, TurnSource } from '../../../src/core/voip/api.ts';
import { createTestHomeserver } from '../../support/hs-client.ts';

const PATH = '/_matrix/client/v3/voip/turnServer';
const CREDENTIALS: TurnCredentials = {
  username: '1700003600:12D3KooWRelayPeer',
  password: 'c2VjcmV0IHBhc3N3b3Jk',
  uris: ['turn:127.0.0.1:3478?transport=udp', 'turn:127.0.0.1:3478?transport=tcp'],
  ttl: 3600,
};

function countingSource(answer: () => Promise<TurnCredentials | undefined>) {
  const source = {
    asked: 0,
    credentials: () => {
      source.asked++;
      return answer();
    },
  };
  return source satisfies TurnSource;
}

test('without TURN the answer is 200 {}, as Synapse gives when none is configured', async () => {
  const t = await createTestHomeserver();
  const alice = await t.register('alice');
  const res = await t.request('GET', PATH, undefined, alice.accessToken);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, {});
  await t.close();
});

test('the relay’s credentials, for a signed-in user only', async () => {
  const t = await createTestHomeserver({ turn: countingSource(async () => CREDENTIALS) });
  const alice = await t.register('alice');
  const res = await t.request('GET', PATH, undefined, alice.accessToken);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, CREDENTIALS);
  const anonymous = await t.request('GET', PATH);
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.body.errcode, 'M_MISSING_TOKEN');
  const forged = await t.request('GET', PATH, undefined, 'syt_forged');
  assert.equal(forged.status, 401);
  assert.equal(forged.body.errcode, 'M_UNKNOWN_TOKEN');
  // r0, which older clients call, reaches the same route.
  const r0 = await t.request('GET', '/_matrix/client/r0/voip/turnServer', undefined, alice.accessToken);
  assert.deepEqual(r0.body, CREDENTIALS);
  await t.close();
});

test('credentials are kept until half their lifetime is left, with ttl counting down', async () => {
  let now = 1_700_000_000_000;
  const clock: Clock = { now: () => now, sleep: async () => {} };
  const source = countingSource(async () => CREDENTIALS);
  const t = await createTestHomeserver({ clock, turn: source });
  const alice = await t.register('alice');
  const bob = await t.register('bob');
  await t.request('GET', PATH, undefined, alice.accessToken);
  now += 1000 * 1000;
  const later = await t.request('GET', PATH, undefined, bob.accessToken);
  assert.equal(later.body.ttl, 2600);
  assert.equal(later.body.password, CREDENTIALS.password);
  assert.equal(source.asked, 1);
  now += 1000 * 1000;
  const renewed = await t.request('GET', PATH, undefined, alice.accessToken);
  assert.equal(renewed.body.ttl, 3600);
  assert.equal(source.asked, 2);
  await t.close();
});

test('a relay that fails or has no TURN gives {}, never an error, and is asked again next time', async () => {
  let fail = true;
  const source = countingSource(async () => {
    if (fail) throw new Error('relay unreachable');
    return undefined;
  });
  const t = await createTestHomeserver({ turn: source });
  const alice = await t.register('alice');
  const failed = await t.request('GET', PATH, undefined, alice.accessToken);
  assert.equal(failed.status, 200);
  assert.deepEqual(failed.body, {});
  fail = false;
  const none = await t.request('GET', PATH, undefined, alice.accessToken);
  assert.deepEqual(none.body, {});
  assert.equal(source.asked, 2);
  assert.deepEqual(t.errors, []);
  await t.close();
});
