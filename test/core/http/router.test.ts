import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { forbidden } from '../../../src/core/errors.ts';
import type { Caller, RequestContext, Route } from '../../../src/core/http/route.ts';
import { createRouter } from '../../../src/core/http/router.ts';
import { requestChunks } from '../../../src/core/http/streamed-body.ts';
import type { HsRequest } from '../../../src/core/http/types.ts';
import type { Logger } from '../../../src/core/ports.ts';
import { DEFAULT_RATE_LIMITS, RateLimiter } from '../../../src/core/http/rate-limit.ts';
import { systemClock } from '../../../src/platform/system-clock.ts';

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'access-control-allow-headers': 'X-Requested-With, Content-Type, Authorization',
};

const echo = async (ctx: RequestContext) => ({
  body: { params: ctx.params, user: ctx.caller?.userId ?? null },
});

const routes: Route[] = [
  {
    method: 'GET',
    path: '/_matrix/client/v3/rooms/{roomId}/state/{type}/{stateKey}',
    auth: 'none',
    handler: echo,
  },
  {
    method: 'PUT',
    path: '/_matrix/client/v3/rooms/{roomId}/state/{type}/{stateKey}',
    auth: 'none',
    handler: echo,
  },
  { method: 'GET', path: '/_matrix/client/v3/pushrules/', auth: 'none', handler: echo },
  { method: 'GET', path: '/_matrix/client/v3/things/{id}', auth: 'none', handler: echo },
  {
    method: 'GET',
    path: '/_matrix/client/v3/things/special',
    auth: 'none',
    handler: async () => ({ body: 'special' }),
  },
  { method: 'GET', path: '/private', auth: 'required', handler: echo },
  { method: 'GET', path: '/maybe', auth: 'optional', handler: echo },
  { method: 'GET', path: '/open', auth: 'none', handler: echo },
  { method: 'POST', path: '/small', auth: 'none', maxBodyBytes: 10, handler: echo },
  { method: 'POST', path: '/big', auth: 'none', handler: echo },
  {
    method: 'POST',
    path: '/stream',
    auth: 'none',
    streamBody: true,
    handler: async (ctx) => {
      let size = 0;
      for await (const chunk of requestChunks(ctx.req)) size += chunk.length;
      return { body: { size, buffered: ctx.req.body !== undefined } };
    },
  },
  {
    method: 'POST',
    path: '/read',
    auth: 'none',
    maxBodyBytes: 10,
    handler: async (ctx) => ({
      body: { size: ctx.req.body?.length ?? 0, streamed: ctx.req.bodyStream !== undefined },
    }),
  },
  { method: 'POST', path: '/limited', auth: 'optional', rateLimit: 'login', handler: echo },
  {
    method: 'GET',
    path: '/bytes',
    auth: 'none',
    handler: async () => ({ body: new Uint8Array([1, 2, 3]), headers: { 'Content-Type': 'image/png' } }),
  },
  {
    method: 'GET',
    path: '/forbidden',
    auth: 'none',
    handler: async () => {
      throw forbidden('not you');
    },
  },
  {
    method: 'GET',
    path: '/crash',
    auth: 'none',
    handler: async () => {
      throw new Error('secret database detail');
    },
  },
];

const alice: Caller = { userId: '@alice:hs', deviceId: 'DEV', accessToken: 'good' };
const bob: Caller = { userId: '@bob:hs', deviceId: 'DEV', accessToken: 'bob' };

function setup() {
  const logged: string[] = [];
  const logger: Logger = {
    debug() {},
    info() {},
    warn() {},
    error: (msg, fields) => logged.push(`${msg} ${JSON.stringify(fields)}`),
  };
  const handle = createRouter({
    rateLimiter: new RateLimiter(DEFAULT_RATE_LIMITS, systemClock),
    routes,
    logger,
    authenticate: async (token) => (token === 'good' ? alice : token === 'bob' ? bob : undefined),
  });
  const request = (method: string, path: string, extra: Partial<HsRequest> = {}) =>
    handle({ method, path, query: {}, headers: {}, ...extra });
  return { request, logged };
}

describe('router', () => {
  test('matches parameters, decoding each segment after splitting', async () => {
    const { request } = setup();
    const res = await request('GET', '/_matrix/client/v3/rooms/!r%3Ahs/state/m.room.name/a%2Fb');
    assert.equal(res.status, 200);
    assert.deepEqual((res.body as { params: unknown }).params, {
      roomId: '!r:hs',
      type: 'm.room.name',
      stateKey: 'a/b',
    });
  });

  test('an empty last parameter matches, with or without the trailing slash', async () => {
    const { request } = setup();
    for (const path of [
      '/_matrix/client/v3/rooms/!r:hs/state/m.room.name/',
      '/_matrix/client/v3/rooms/!r:hs/state/m.room.name',
    ]) {
      const res = await request('PUT', path);
      assert.equal(res.status, 200, path);
      assert.equal((res.body as { params: { stateKey: string } }).params.stateKey, '');
    }
  });

  test('serves r0 paths as v3, and toggles a trailing slash when nothing matches', async () => {
    const { request } = setup();
    assert.equal((await request('GET', '/_matrix/client/r0/pushrules/')).status, 200);
    assert.equal((await request('GET', '/_matrix/client/v3/pushrules')).status, 200);
  });

  test('a literal segment wins over a parameter', async () => {
    const { request } = setup();
    assert.equal((await request('GET', '/_matrix/client/v3/things/special')).body, 'special');
    assert.deepEqual((await request('GET', '/_matrix/client/v3/things/other')).body, {
      params: { id: 'other' },
      user: null,
    });
  });

  test('unknown paths are 404 and wrong methods 405, both M_UNRECOGNIZED with CORS', async () => {
    const { request } = setup();
    const missing = await request('GET', '/_matrix/client/v3/nope');
    assert.equal(missing.status, 404);
    assert.equal((missing.body as { errcode: string }).errcode, 'M_UNRECOGNIZED');
    assert.deepEqual(
      { ...missing.headers, 'content-type': undefined },
      { ...CORS, 'content-type': undefined },
    );
    const wrong = await request('DELETE', '/_matrix/client/v3/pushrules/');
    assert.equal(wrong.status, 405);
    assert.equal((wrong.body as { errcode: string }).errcode, 'M_UNRECOGNIZED');
  });

  test('OPTIONS answers every path with CORS and runs no handler', async () => {
    const { request } = setup();
    for (const path of ['/crash', '/private', '/no/such/path']) {
      const res = await request('OPTIONS', path);
      assert.equal(res.status, 204);
      assert.deepEqual(res.headers, CORS);
    }
  });

  test('every response carries the CORS headers and JSON content type', async () => {
    const { request } = setup();
    for (const path of ['/open', '/forbidden', '/crash', '/private']) {
      const res = await request('GET', path);
      for (const [name, value] of Object.entries(CORS))
        assert.equal(res.headers[name], value, `${path} ${name}`);
      assert.equal(res.headers['content-type'], 'application/json');
    }
  });

  test('a MatrixError becomes {errcode, error} with its status', async () => {
    const { request } = setup();
    const res = await request('GET', '/forbidden');
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { errcode: 'M_FORBIDDEN', error: 'not you' });
  });

  test('an unexpected exception is a 500 M_UNKNOWN that hides its cause but logs it', async () => {
    const { request, logged } = setup();
    const res = await request('GET', '/crash');
    assert.equal(res.status, 500);
    assert.equal((res.body as { errcode: string }).errcode, 'M_UNKNOWN');
    assert.doesNotMatch(JSON.stringify(res.body), /secret/);
    assert.match(logged.join('\n'), /secret database detail/);
  });

  test('bytes pass through with the handler headers (names lower-cased) and CORS', async () => {
    const { request } = setup();
    const res = await request('GET', '/bytes');
    assert.deepEqual(res.body, new Uint8Array([1, 2, 3]));
    assert.equal(res.headers['content-type'], 'image/png');
    assert.equal(res.headers['access-control-allow-origin'], '*');
  });
});

describe('router authentication', () => {
  test('required: no token is 401 M_MISSING_TOKEN', async () => {
    const { request } = setup();
    const res = await request('GET', '/private');
    assert.equal(res.status, 401);
    assert.equal((res.body as { errcode: string }).errcode, 'M_MISSING_TOKEN');
  });

  test('an unknown token is 401 M_UNKNOWN_TOKEN with soft_logout false', async () => {
    const { request } = setup();
    for (const path of ['/private', '/maybe']) {
      const res = await request('GET', path, { headers: { authorization: 'Bearer bad' } });
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, {
        errcode: 'M_UNKNOWN_TOKEN',
        error: 'Unknown access token',
        soft_logout: false,
      });
    }
  });

  test('the token comes from the Bearer header or the access_token query parameter', async () => {
    const { request } = setup();
    const byHeader = await request('GET', '/private', { headers: { authorization: 'bearer good' } });
    assert.equal((byHeader.body as { user: string }).user, '@alice:hs');
    const byQuery = await request('GET', '/private', { query: { access_token: 'good' } });
    assert.equal((byQuery.body as { user: string }).user, '@alice:hs');
  });

  test('optional auth runs without a caller; none ignores tokens entirely', async () => {
    const { request } = setup();
    assert.equal(((await request('GET', '/maybe')).body as { user: null }).user, null);
    const open = await request('GET', '/open', { headers: { authorization: 'Bearer bad' } });
    assert.equal(open.status, 200);
    assert.equal((open.body as { user: null }).user, null);
  });
});

describe('router body limits', () => {
  test('a body over the route limit is 413 M_TOO_LARGE', async () => {
    const { request } = setup();
    const res = await request('POST', '/small', { body: new Uint8Array(11) });
    assert.equal(res.status, 413);
    assert.equal((res.body as { errcode: string }).errcode, 'M_TOO_LARGE');
    assert.equal((await request('POST', '/small', { body: new Uint8Array(10) })).status, 200);
  });

  test('the default limit is 1 MiB', async () => {
    const { request } = setup();
    assert.equal((await request('POST', '/big', { body: new Uint8Array(1_048_576) })).status, 200);
    assert.equal((await request('POST', '/big', { body: new Uint8Array(1_048_577) })).status, 413);
  });
});

describe('router streamed bodies', () => {
  async function* pieces(...sizes: number[]): AsyncIterable<Uint8Array> {
    for (const size of sizes) yield new Uint8Array(size);
  }
  const stream = (
    path: string,
    bodyStream: AsyncIterable<Uint8Array>,
    headers: Record<string, string> = {},
  ) => setup().request('POST', path, { headers, bodyStream });

  test('a route that does not stream gets the body read whole, within its limit', async () => {
    const ok = await stream('/read', pieces(4, 6));
    assert.deepEqual(ok.body, { size: 10, streamed: false });
    assert.equal((await stream('/read', pieces(4, 7))).status, 413);
    assert.equal((await stream('/read', pieces(1), { 'content-length': '11' })).status, 413);
  });

  test('a streaming route reads the body itself, past the default limit, as whole bytes or as a stream', async () => {
    const res = await stream('/stream', pieces(1_048_576, 1_048_576, 5));
    assert.deepEqual(res.body, { size: 2_097_157, buffered: false });
    const { request } = setup();
    const whole = await request('POST', '/stream', { body: new Uint8Array(2_000_000) });
    assert.deepEqual(whole.body, { size: 2_000_000, buffered: true });
  });
});

describe('router rate limits: per user, and per client when anonymous or a party', () => {
  const { burst } = DEFAULT_RATE_LIMITS.login;
  const as = (token: string, client: string, clientIsParty?: boolean): Partial<HsRequest> => ({
    headers: { authorization: `Bearer ${token}` },
    client,
    ...(clientIsParty && { clientIsParty }),
  });

  test('a site (a party) is limited across the accounts it uses; another site is not', async () => {
    const { request } = setup();
    for (let i = 0; i < burst; i++)
      assert.equal((await request('POST', '/limited', as('good', 'origin:a', true))).status, 200);
    const other = await request('POST', '/limited', as('bob', 'origin:a', true));
    assert.deepEqual([other.status, (other.body as { errcode?: string }).errcode], [429, 'M_LIMIT_EXCEEDED']);
    assert.equal((await request('POST', '/limited', as('bob', 'origin:b', true))).status, 200);
    // Alice is limited on every site: her own bucket is empty too.
    assert.equal((await request('POST', '/limited', as('good', 'origin:b', true))).status, 429);
  });

  test('an address (not a party) limits only anonymous requests; its users count on their own', async () => {
    const { request } = setup();
    for (let i = 0; i < burst; i++)
      assert.equal((await request('POST', '/limited', as('good', 'ip:1'))).status, 200);
    assert.equal((await request('POST', '/limited', as('bob', 'ip:1'))).status, 200);
    for (let i = 0; i < burst; i++)
      assert.equal((await request('POST', '/limited', { client: 'ip:1' })).status, 200);
    assert.equal((await request('POST', '/limited', { client: 'ip:1' })).status, 429);
  });
});
