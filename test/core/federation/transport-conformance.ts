// One conformance suite for every PeerTransport (memory, libp2p in Node, later
// libp2p in the browser): what the federation code relies on, checked the
// same way for each implementation.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { streamOf } from '../../../src/core/federation/streamed-body.ts';
import {
  type FederationHandler,
  type FederationRequest,
  type PeerState,
  type PeerTransport,
  StreamedBody,
  type TransportLimits,
} from '../../../src/core/federation/transport.ts';

/** Three servers that can reach each other (once discovery has run). */
export interface ConformanceNetwork {
  readonly transports: readonly [PeerTransport, PeerTransport, PeerTransport];
  /** Makes a server unreachable, as a killed process or a partition would. */
  takeDown(serverName: string): Promise<void>;
  /** Brings it back with the same identity; returns the transport to use for it from now on. */
  bringBack(serverName: string): Promise<PeerTransport>;
  close(): Promise<void>;
}

export interface ConformanceTarget {
  readonly name: string;
  /** Every transport of the network gets these limits. */
  network(limits: Partial<TransportLimits>): Promise<ConformanceNetwork>;
}

/** Limits small enough to test both sides of without moving many megabytes. */
export const conformanceLimits = {
  maxRequestBodyBytes: 2 * 1024 * 1024,
  maxResponseBodyBytes: 2 * 1024 * 1024,
  maxConcurrentPerPeer: 3,
} satisfies Partial<TransportLimits>;

/** Polls until `check` holds; fails with `what` after a generous hang guard (not a timing assertion). */
export async function eventually(what: string, check: () => boolean, guardMs = 10_000): Promise<void> {
  const deadline = Date.now() + guardMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const echo: FederationHandler = async (from, req) => ({
  status: 200,
  body: {
    from,
    method: req.method,
    path: req.path,
    query: req.query ?? {},
    origin: req.origin,
    body: req.body ?? null,
  } as never,
});

function get(origin: string, path: string, extra: Partial<FederationRequest> = {}): FederationRequest {
  return { method: 'GET', path, origin, ...extra };
}

function pattern(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return bytes;
}

export function transportConformance(target: ConformanceTarget): void {
  describe(`PeerTransport conformance: ${target.name}`, () => {
    let net: ConformanceNetwork;
    let a: PeerTransport;
    let b: PeerTransport;
    let c: PeerTransport;
    const events: { name: string; state: PeerState }[] = [];

    before(async () => {
      net = await target.network(conformanceLimits);
      [a, b, c] = net.transports;
      a.onPeer((name, state) => events.push({ name, state }));
    });
    after(async () => {
      await net.close();
    });

    test('every server finds the other two (through the relay where there is one)', async () => {
      const all = [a, b, c];
      for (const t of all) {
        const others = all.filter((o) => o !== t).map((o) => o.serverName);
        await eventually(`${t.serverName} sees its peers`, () =>
          others.every((name) => t.peers().includes(name)),
        );
        assert.deepEqual(t.peers().sort(), others.sort());
      }
      await eventually('A was told B is up', () =>
        events.some((e) => e.name === b.serverName && e.state === 'up'),
      );
    });

    test('a request reaches the handler with the authenticated sender and the answer comes back', async () => {
      b.onRequest(echo);
      const query = { limit: '10', v: ['a', 'b'] };
      const res = await a.request(
        b.serverName,
        get(a.serverName, '/_matrix/federation/v1/version', { query }),
      );
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, {
        from: a.serverName,
        method: 'GET',
        path: '/_matrix/federation/v1/version',
        query,
        origin: a.serverName,
        body: null,
      });
    });

    test('a JSON body of about 1 MiB arrives intact', async () => {
      b.onRequest(echo);
      const body = { pdus: [{ content: { body: 'x'.repeat(1024 * 1024) } }], origin: a.serverName };
      const res = await a.request(b.serverName, {
        method: 'PUT',
        path: '/send/1',
        origin: a.serverName,
        body,
      });
      assert.deepEqual((res.body as { body: unknown }).body, body);
    });

    test('a 1 MiB binary body and a 1 MiB binary response arrive intact', async () => {
      b.onRequest(async (_from, req) => ({ status: 200, body: req.body as Uint8Array }));
      const bytes = pattern(1024 * 1024);
      const res = await a.request(b.serverName, {
        method: 'POST',
        path: '/media',
        origin: a.serverName,
        body: bytes,
      });
      assert.ok(res.body instanceof Uint8Array);
      assert.deepEqual(res.body, bytes);
    });

    test('a streamed body larger than maxResponseBodyBytes arrives intact, piece by piece, with its media type', async () => {
      const bytes = pattern(5 * 1024 * 1024 + 17);
      b.onRequest(async () => ({
        status: 200,
        body: streamOf(bytes),
        contentType: 'multipart/mixed; boundary=x',
      }));
      const res = await a.requestStream(b.serverName, get(a.serverName, '/media'), {
        maxBodyBytes: 8 * 1024 * 1024,
      });
      assert.equal(res.status, 200);
      assert.equal(res.contentType, 'multipart/mixed; boundary=x');
      assert.ok(res.body instanceof StreamedBody);
      assert.equal(res.body.length, bytes.length);
      const pieces: Uint8Array[] = [];
      for await (const chunk of res.body.chunks) pieces.push(chunk);
      assert.ok(pieces.length > 1, 'the body came in more than one piece');
      assert.deepEqual(Buffer.concat(pieces), Buffer.from(bytes));
    });

    test('a streamed body within maxResponseBodyBytes arrives whole through request; a JSON error through requestStream', async () => {
      const bytes = pattern(100_000);
      b.onRequest(async () => ({ status: 200, body: streamOf(bytes), contentType: 'image/png' }));
      const res = await a.request(b.serverName, get(a.serverName, '/media'));
      assert.ok(res.body instanceof Uint8Array);
      assert.deepEqual(res.body, bytes);
      assert.equal(res.contentType, 'image/png');
      b.onRequest(async () => ({ status: 404, body: { errcode: 'M_NOT_FOUND', error: 'no such media' } }));
      const missing = await a.requestStream(b.serverName, get(a.serverName, '/media'), { maxBodyBytes: 10 });
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body, { errcode: 'M_NOT_FOUND', error: 'no such media' });
    });

    test('a streamed body over maxBodyBytes is refused with PeerProtocolError before it is read', async () => {
      b.onRequest(async () => ({ status: 200, body: streamOf(pattern(4096)) }));
      await assert.rejects(
        a.requestStream(b.serverName, get(a.serverName, '/media'), { maxBodyBytes: 4095 }),
        { name: 'PeerProtocolError', violation: 'too-large' },
      );
    });

    test('a streamed body shorter or longer than announced fails its reader, never reads as whole', async () => {
      for (const [announced, sent] of [
        [300_000, 200_000],
        [100_000, 200_000],
      ] as const) {
        const bytes = pattern(sent);
        b.onRequest(async () => ({ status: 200, body: new StreamedBody(announced, streamOf(bytes).chunks) }));
        // The failure may come with the answer (a transport that reads the body before answering: an
        // error, or a 500 for the handler's broken body) or while reading it; never a whole body.
        const outcome = await (async () => {
          try {
            const res = await a.requestStream(b.serverName, get(a.serverName, '/media'), {
              maxBodyBytes: 1024 * 1024,
            });
            if (!(res.body instanceof StreamedBody)) return `status ${res.status}`;
            for await (const _ of res.body.chunks);
            return 'read whole';
          } catch (err) {
            return (err as Error).name;
          }
        })();
        assert.ok(['PeerUnreachable', 'PeerProtocolError', 'status 500'].includes(outcome), outcome);
      }
    });

    test('an oversized request gets 413 and never reaches the handler', async () => {
      let called = false;
      b.onRequest(async () => {
        called = true;
        return { status: 200, body: {} };
      });
      const body = new Uint8Array(conformanceLimits.maxRequestBodyBytes + 1);
      const res = await a.request(b.serverName, { method: 'PUT', path: '/big', origin: a.serverName, body });
      assert.equal(res.status, 413);
      assert.equal((res.body as { errcode: string }).errcode, 'M_TOO_LARGE');
      assert.equal(called, false);
    });

    test('an oversized response is refused with PeerProtocolError', async () => {
      b.onRequest(async () => ({
        status: 200,
        body: new Uint8Array(conformanceLimits.maxResponseBodyBytes + 1),
      }));
      await assert.rejects(a.request(b.serverName, get(a.serverName, '/huge')), {
        name: 'PeerProtocolError',
        violation: 'too-large',
      });
    });

    test("a request's own maxBodyBytes refuses a larger answer with PeerProtocolError; a smaller one arrives", async () => {
      b.onRequest(async (_from, req) => ({
        status: 200,
        body: { pad: 'x'.repeat(req.path === '/big' ? 64 * 1024 : 1024) },
      }));
      const cap = { maxBodyBytes: 16 * 1024 };
      await assert.rejects(a.request(b.serverName, get(a.serverName, '/big'), cap), {
        name: 'PeerProtocolError',
        violation: 'too-large',
      });
      const small = await a.request(b.serverName, get(a.serverName, '/small'), cap);
      assert.equal((small.body as { pad: string }).pad.length, 1024);
    });

    test('a request claiming another origin gets 401 and never reaches the handler', async () => {
      let called = false;
      b.onRequest(async () => {
        called = true;
        return { status: 200, body: {} };
      });
      const res = await a.request(b.serverName, get(c.serverName, '/_matrix/federation/v1/query/profile'));
      assert.equal(res.status, 401);
      assert.equal((res.body as { errcode: string }).errcode, 'M_UNAUTHORIZED');
      assert.equal(called, false);
    });

    test('paths are the handler’s business; its failures become a bare 500', async () => {
      b.onRequest(async (_from, req) => {
        if (req.path === '/boom') throw new Error('secret database detail');
        return { status: 404, body: { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' } };
      });
      const unknown = await a.request(b.serverName, get(a.serverName, '/_matrix/federation/v9/nothing'));
      assert.deepEqual(unknown, {
        status: 404,
        body: { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' },
      });
      const failed = await a.request(b.serverName, get(a.serverName, '/boom'));
      assert.equal(failed.status, 500);
      assert.doesNotMatch(JSON.stringify(failed.body), /secret/);
    });

    test('a server nobody can reach, or a name that is no server, is PeerUnreachable', async () => {
      const nobody = 'ab'.repeat(32);
      await assert.rejects(a.request(nobody, get(a.serverName, '/'), { timeoutMs: 5000 }), {
        name: 'PeerUnreachable',
      });
      await assert.rejects(a.request('example.org', get(a.serverName, '/')), { name: 'PeerUnreachable' });
    });

    test('a peer that does not answer in time is PeerUnreachable (timeout)', async () => {
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => (release = resolve));
      b.onRequest(async () => {
        await held;
        return { status: 200, body: {} };
      });
      await assert.rejects(a.request(b.serverName, get(a.serverName, '/slow'), { timeoutMs: 300 }), {
        name: 'PeerUnreachable',
        reason: 'timeout',
      });
      release();
    });

    test('one peer over its concurrency limit gets 429 while another peer is still served', async () => {
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => (release = resolve));
      b.onRequest(async (from) => {
        if (from === a.serverName) await held;
        return { status: 200, body: { from } };
      });
      const limit = conformanceLimits.maxConcurrentPerPeer;
      let settled = 0;
      const flood = Array.from({ length: limit + 2 }, () =>
        a.request(b.serverName, get(a.serverName, '/flood')).finally(() => settled++),
      );
      // The held requests cannot settle before release(), so two settled ones are the refused excess.
      await eventually('the excess requests were refused', () => settled === 2);
      const other = await c.request(b.serverName, get(c.serverName, '/fair'));
      assert.deepEqual(other, { status: 200, body: { from: c.serverName } });
      release();
      const statuses = (await Promise.all(flood)).map((r) => r.status).sort();
      assert.deepEqual(statuses, [...Array(limit).fill(200), 429, 429]);
    });

    test('a server that goes away is reported down and unreachable, then up again when it is back', async () => {
      const name = c.serverName;
      await net.takeDown(name);
      await eventually('A is told C is down', () =>
        events.some((e) => e.name === name && e.state === 'down'),
      );
      assert.ok(!a.peers().includes(name));
      await assert.rejects(a.request(name, get(a.serverName, '/'), { timeoutMs: 5000 }), {
        name: 'PeerUnreachable',
      });

      const upsBefore = events.filter((e) => e.name === name && e.state === 'up').length;
      c = await net.bringBack(name);
      c.onRequest(echo);
      await eventually(
        'A is told C is back',
        () => events.filter((e) => e.name === name && e.state === 'up').length > upsBefore,
      );
      assert.ok(a.peers().includes(name));
      const res = await a.request(name, get(a.serverName, '/again'));
      assert.equal(res.status, 200);
    });

    test('after close, requests fail with PeerUnreachable (closed)', async () => {
      await a.close();
      await assert.rejects(a.request(b.serverName, get(a.serverName, '/')), {
        name: 'PeerUnreachable',
        reason: 'closed',
      });
      assert.deepEqual(a.peers(), []);
    });
  });
}
