// The per-origin federation rate limit (inbound-rate.ts) on a clock that
// moves only when the test says so, and the gate's 429 when it refuses.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createInboundGate } from '../../../src/core/federation/inbound.ts';
import {
  type Entry,
  type FederationRateLimits,
  FederationRateLimiter,
} from '../../../src/core/federation/inbound-rate.ts';
import { defaultTransportLimits } from '../../../src/core/federation/transport.ts';
import { FakeClock } from '../sync/fake-clock.ts';

const limits: FederationRateLimits = {
  windowMs: 1000,
  sleepLimit: 4,
  sleepDelayMs: 500,
  rejectLimit: 8,
  concurrent: 100,
};

/** Whether the promise has settled once pending callbacks have run. */
async function settled<T>(p: Promise<T>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await new Promise<void>((resolve) => setImmediate(resolve));
  return done;
}

function released(entry: Entry): () => void {
  assert.ok('release' in entry, `expected a turn, got ${JSON.stringify(entry)}`);
  return entry.release;
}

describe('federation rate limit', () => {
  test('a peer that waits for each answer before its next request is never delayed, at any rate', async () => {
    const clock = new FakeClock();
    const rate = new FederationRateLimiter(limits, clock);
    for (let i = 0; i < 1000; i++) {
      const entering = rate.enter('honest');
      assert.ok(await settled(entering), `request ${i} was held back`);
      released(await entering)();
    }
    assert.equal(clock.sleeping, 0);
  });

  test('overlapping requests past the sleep limit wait the sleep delay, past the reject limit get retry_after_ms', async () => {
    const clock = new FakeClock();
    const rate = new FederationRateLimiter(limits, clock);
    // The first one is held open: every later one overlaps it and counts.
    const first = released(await rate.enter('flood'));
    for (let i = 0; i < limits.sleepLimit; i++) released(await rate.enter('flood'));
    const delayed = rate.enter('flood');
    assert.equal(await settled(delayed), false, 'the request over the sleep limit was served at once');
    await clock.advance(limits.sleepDelayMs - 1);
    assert.equal(await settled(delayed), false);
    await clock.advance(1);
    assert.ok(await settled(delayed));
    // Counted so far: sleepLimit + 1; the rest up to the reject limit are delayed too.
    const more = Array.from({ length: limits.rejectLimit - limits.sleepLimit - 1 }, () =>
      rate.enter('flood'),
    );
    await clock.advance(100);
    const refused = await rate.enter('flood');
    assert.deepEqual(refused, { retryAfterMs: limits.windowMs - limits.sleepDelayMs - 100 });
    await clock.advance(limits.sleepDelayMs);
    for (const entry of await Promise.all(more)) released(entry)();
    // Once the window has moved past the counted requests, they are served again.
    await clock.advance(limits.windowMs);
    const later = rate.enter('flood');
    assert.ok(await settled(later));
    released(await later)();
    first();
  });

  test('one flooding peer slows no other peer', async () => {
    const clock = new FakeClock();
    const rate = new FederationRateLimiter(limits, clock);
    const held = [released(await rate.enter('flood'))];
    for (let i = 0; i < limits.sleepLimit; i++) held.push(released(await rate.enter('flood')));
    assert.equal(await settled(rate.enter('flood')), false);
    for (let i = 0; i < 3; i++) {
      const other = rate.enter(`other${i}`);
      assert.ok(await settled(other));
      released(await other)();
    }
    for (const release of held) release();
    await clock.advance(limits.sleepDelayMs);
  });

  test('at most `concurrent` requests of one peer are served at once, the others in their order', async () => {
    const clock = new FakeClock();
    const rate = new FederationRateLimiter({ ...limits, concurrent: 2, sleepLimit: 100 }, clock);
    const order: number[] = [];
    const entries = Array.from({ length: 5 }, (_, i) =>
      rate.enter('busy').then((entry) => {
        order.push(i);
        return released(entry);
      }),
    );
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(order, [0, 1]);
    (await entries[0]!)();
    (await entries[0]!)(); // a second release of the same turn frees nothing more
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(order, [0, 1, 2]);
    (await entries[2]!)();
    (await entries[1]!)();
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
    for (const entry of entries.slice(3)) (await entry)();
    // A new request finds both turns free.
    const next = rate.enter('busy');
    assert.ok(await settled(next));
  });

  test('origins seen once are not remembered without bound', async () => {
    const clock = new FakeClock();
    const rate = new FederationRateLimiter(limits, clock);
    for (let i = 0; i < 5000; i++) released(await rate.enter(`peer${i}`))();
    assert.ok(rate.origins <= 1024, `${rate.origins} origins remembered`);
  });

  test('the gate answers a request over the limit 429 M_LIMIT_EXCEEDED with retry_after_ms, before the handler', async () => {
    const clock = new FakeClock();
    const rate = new FederationRateLimiter({ ...limits, rejectLimit: 1, sleepLimit: 1 }, clock);
    const gate = createInboundGate(defaultTransportLimits, undefined, rate);
    let calls = 0;
    let unblock = () => {};
    const blocked = new Promise<void>((resolve) => (unblock = resolve));
    gate.setHandler(async () => {
      calls++;
      await blocked;
      return { status: 200, body: {} };
    });
    const req = { method: 'GET', path: '/_matrix/federation/v1/version', query: {}, origin: 'flood' };
    const first = gate.dispatch('flood', req);
    const second = gate.dispatch('flood', req); // overlaps the first: counted, the limit reached
    await new Promise<void>((resolve) => setImmediate(resolve));
    const third = await gate.dispatch('flood', req);
    assert.equal(third.status, 429);
    assert.equal((third.body as { errcode: string }).errcode, 'M_LIMIT_EXCEEDED');
    assert.equal((third.body as { retry_after_ms: number }).retry_after_ms, limits.windowMs);
    assert.equal(calls, 2);
    unblock();
    assert.equal((await first).status, 200);
    assert.equal((await second).status, 200);
  });
});
