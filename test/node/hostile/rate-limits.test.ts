// Finding 5 of issue 12 (the homeserver's side), through the Node peer's real
// HTTP server: password guessing, account creation and sending are throttled
// as the spec defines it (429 M_LIMIT_EXCEEDED with retry_after_ms, and a
// Retry-After header), per address and per user, and the throttle lifts once
// the time it named has passed. The bounds are DEFAULT_RATE_LIMITS'
// (src/core/http/rate-limit.ts); the homeserver's clock is held still here so
// that no token comes back while the test runs, and moved on by hand.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_RATE_LIMITS } from '../../../src/core/http/rate-limit.ts';
import type { Clock } from '../../../src/core/ports.ts';
import { type HttpServer, startHttpServer } from '../../../src/node/http-server.ts';
import { systemClock } from '../../../src/platform/system-clock.ts';
import type { Json } from '../../support/federated-cluster.ts';
import {
  type Credentials,
  TEST_PASSWORD,
  type TestHomeserver,
  createTestHomeserver,
} from '../../support/hs-client.ts';

const V3 = '/_matrix/client/v3';
const silent = { debug() {}, info() {}, warn() {}, error() {} };

describe('client-server rate limits over HTTP', () => {
  let now = Date.now();
  const clock: Clock = { now: () => now, sleep: (ms, cancel) => systemClock.sleep(ms, cancel) };
  let t: TestHomeserver;
  let http: HttpServer;
  let alice: Credentials;
  let bob: Credentials;
  let roomId: string;

  before(async () => {
    t = await createTestHomeserver({ clock });
    alice = await t.register('alice');
    bob = await t.register('bob');
    http = await startHttpServer((req) => t.hs.handle(req), { host: '127.0.0.1', port: 0, logger: silent });
    const created = await t.request('POST', `${V3}/createRoom`, { preset: 'public_chat' }, alice.accessToken);
    roomId = created.body.room_id;
    assert.equal((await t.request('POST', `${V3}/join/${roomId}`, {}, bob.accessToken)).status, 200);
  });
  after(async () => {
    await http.close();
    await t.close();
  });

  async function call(method: string, path: string, body?: unknown, token?: string) {
    const res = await fetch(`${http.url}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(token && { authorization: `Bearer ${token}` }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return {
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      body: (await res.json()) as Json,
    };
  }
  const login = (password: string) =>
    call('POST', `${V3}/login`, {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: alice.userId },
      password,
    });
  let txn = 0;
  const send = (who: Credentials) =>
    call(
      'PUT',
      `${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${++txn}`,
      { msgtype: 'm.text', body: 'hi' },
      who.accessToken,
    );

  test('password guesses from one address are throttled, then allowed again after retry_after_ms', async () => {
    const { burst } = DEFAULT_RATE_LIMITS.login;
    for (let i = 0; i < burst; i++) assert.equal((await login(`guess ${i}`)).status, 403);
    const throttled = await login('one more guess');
    assert.equal(throttled.status, 429);
    assert.equal(throttled.body.errcode, 'M_LIMIT_EXCEEDED');
    assert.ok(throttled.body.retry_after_ms > 0);
    assert.equal(Number(throttled.retryAfter), Math.ceil(throttled.body.retry_after_ms / 1000));
    // The right password waits too: the guesser cannot tell it from a wrong one.
    assert.equal((await login(TEST_PASSWORD)).status, 429);
    // Other users go on meanwhile.
    assert.equal((await send(bob)).status, 200);
    now += throttled.body.retry_after_ms;
    assert.equal((await login(TEST_PASSWORD)).status, 200);
  });

  test('one user’s sends are throttled past the burst; another user’s are not', async () => {
    const { burst } = DEFAULT_RATE_LIMITS.message;
    for (let i = 0; i < burst; i++) assert.equal((await send(alice)).status, 200);
    const throttled = await send(alice);
    assert.equal(throttled.status, 429);
    assert.equal(throttled.body.errcode, 'M_LIMIT_EXCEEDED');
    assert.equal((await send(bob)).status, 200);
    now += throttled.body.retry_after_ms;
    assert.equal((await send(alice)).status, 200);
  });

  test('account creation from one address is throttled', async () => {
    const { burst } = DEFAULT_RATE_LIMITS.register;
    const statuses: number[] = [];
    for (let i = 0; i <= burst; i++) statuses.push((await call('POST', `${V3}/register`, {})).status);
    // The first step of user-interactive auth answers 401 with a session; each call counts.
    assert.deepEqual(statuses, [...Array(burst).fill(401), 429]);
  });
});
