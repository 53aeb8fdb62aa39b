// Chrome's batching Ed25519 (batching-ed25519.ts): a lone check stays in the
// thread, checks issued together are split between the thread and the
// verifier Worker (in one message), and whatever the Worker does not answer
// properly (timeout, replaced port, a malformed reply, a port that cannot
// post) is checked in the thread, so a forged signature is never reported
// valid. The Worker here is verifyBatch
// (what verifier.ts runs) over Node's WebCrypto, behind a MessagePort-like
// fake whose replies the test releases.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type BatchingOptions,
  batchingEd25519,
  type VerifierPort,
} from '../../../background/worker/batching-ed25519.ts';
import { verifyBatch } from '../../../background/verifier/verify-batch.ts';
import type { Ed25519 } from '../../../src/core/protocol.ts';
import { packBatch, type VerifyRequest } from '../../../src/platform/web/verifier-wire.ts';
import { ed25519 } from '../../support/ed25519.ts';

const SEED = new Uint8Array(32).fill(7);

interface Check {
  readonly publicKey: Uint8Array;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
  readonly valid: boolean;
}

/** `count` signed messages; those at `forged` carry another message's signature. */
async function checks(count: number, forged: readonly number[] = []): Promise<Check[]> {
  const publicKey = await ed25519.publicKey(SEED);
  const out: Check[] = [];
  for (let i = 0; i < count; i++) {
    const message = new TextEncoder().encode(`message ${i}`);
    const signed = forged.includes(i) ? new TextEncoder().encode(`not message ${i}`) : message;
    out.push({ publicKey, message, signature: await ed25519.sign(SEED, signed), valid: !forged.includes(i) });
  }
  return out;
}

/** Node's Ed25519, counting the checks made in "the thread". */
function countingEd25519() {
  const counter = { verified: 0 };
  const inner: Ed25519 = {
    publicKey: (seed) => ed25519.publicKey(seed),
    sign: (seed, message) => ed25519.sign(seed, message),
    verify: (publicKey, message, signature) => {
      counter.verified++;
      return ed25519.verify(publicKey, message, signature);
    },
  };
  return { inner, counter };
}

/** A port to a Worker running verifyBatch; `answer()` delivers the replies to what was posted so far. */
function workerPort(reply: (request: VerifyRequest) => Promise<unknown> = (r) => verifyBatch(ed25519, r)) {
  const posted: VerifyRequest[] = [];
  let closed = false;
  const port: VerifierPort & { posted: VerifyRequest[]; readonly closed: boolean; answer(): Promise<void> } =
    {
      posted,
      get closed() {
        return closed;
      },
      onmessage: null,
      postMessage(message) {
        if (closed) throw new Error('the port is closed');
        // What structured cloning does: the Worker gets copies.
        posted.push(structuredClone(message));
      },
      close() {
        closed = true;
      },
      async answer() {
        for (const request of posted.splice(0))
          port.onmessage?.({ data: await reply(request) } as MessageEvent);
      },
    };
  return port;
}

/** Flushes run when the test says the task ended; timers fire when the test says. */
function manualScheduling() {
  const flushes: (() => void)[] = [];
  const timers = new Set<{ fire: () => void }>();
  const options: BatchingOptions = {
    afterTask: (flush) => flushes.push(flush),
    setTimer: (fire) => {
      const timer = { fire };
      timers.add(timer);
      return timer;
    },
    clearTimer: (timer) => timers.delete(timer as { fire: () => void }),
  };
  return {
    options,
    endTask: () => {
      for (const flush of flushes.splice(0)) flush();
    },
    fireTimers: () => {
      for (const timer of [...timers]) {
        timers.delete(timer);
        timer.fire();
      }
    },
    pendingTimers: () => timers.size,
  };
}

/**
 * A batching verifier over a counting Ed25519, its tasks and timers run by
 * the test, with a fake Worker port (answering with `reply`) attached.
 */
function subject(options: Partial<BatchingOptions> = {}, reply?: Parameters<typeof workerPort>[0]) {
  const { inner, counter } = countingEd25519();
  const sched = manualScheduling();
  const batching = batchingEd25519({ ...sched.options, ...options });
  const batched = batching.over(inner);
  const port = workerPort(reply);
  batching.attach(port);
  return { counter, sched, batching, batched, port };
}

/** Each check's result is whether it is valid (the forged ones are not). */
async function assertVerdicts(results: readonly Promise<boolean>[], cs: readonly Check[]): Promise<void> {
  assert.deepEqual(
    await Promise.all(results),
    cs.map((c) => c.valid),
  );
}

const verifyAll = (e: Ed25519, cs: readonly Check[]) =>
  cs.map((c) => e.verify(c.publicKey, c.message, c.signature));

test('a lone check runs in the thread and posts nothing', async () => {
  const { counter, sched, batched, port } = subject();
  const [check] = await checks(1);
  const result = batched.verify(check!.publicKey, check!.message, check!.signature);
  sched.endTask();
  assert.equal(await result, true);
  assert.equal(counter.verified, 1);
  assert.equal(port.posted.length, 0);
});

test('checks issued in one task are split between the thread and the Worker (one message), and a forged one on either side is invalid', async () => {
  const { counter, sched, batched, port } = subject({ minBatch: 4 });
  const cs = await checks(10, [3, 9]);
  const results = verifyAll(batched, cs);
  sched.endTask();
  // The first ran at once in the thread; of the other nine, five went to the Worker
  // (3 among them) and four were checked in the thread (9 among them): five each.
  assert.equal(counter.verified, 5);
  assert.equal(port.posted.length, 1);
  assert.equal(port.posted[0]!.messageLengths.length, 5);
  await port.answer();
  await assertVerdicts(results, cs);
  assert.equal(counter.verified, 5);
  assert.equal(sched.pendingTimers(), 0);
});

test('a queued check reads its arguments when it is made, not when the batch is sent', async () => {
  const { inner } = countingEd25519();
  const sched = manualScheduling();
  const batching = batchingEd25519({ ...sched.options, minBatch: 2 });
  const batched = batching.over(inner);
  const port = workerPort();
  batching.attach(port);
  const cs = await checks(3);
  const reused = cs.map((c) => ({ ...c, signature: c.signature.slice() }));
  const results = verifyAll(batched, reused);
  // The caller reuses the queued checks' buffers before the task ends.
  for (const c of reused.slice(1)) c.signature.fill(0);
  sched.endTask();
  await port.answer();
  assert.deepEqual(await Promise.all(results), [true, true, true]);
});

test('a long run of checks is dealt in maxBatch chunks as it is issued, to whichever side had fewer, the rest split when the task ends', async () => {
  const { counter, sched, batched, port } = subject({ minBatch: 2, maxBatch: 4 });
  const cs = await checks(11, [5]);
  const results = verifyAll(batched, cs);
  // One in the thread, a chunk of four to the Worker, the next four in the thread, two waiting.
  assert.deepEqual(
    port.posted.map((r) => r.messageLengths.length),
    [4],
  );
  assert.equal(counter.verified, 5);
  sched.endTask();
  // Five here and four there so far: the two left go to the Worker.
  assert.deepEqual(
    port.posted.map((r) => r.messageLengths.length),
    [4, 2],
  );
  await port.answer();
  await assertVerdicts(results, cs);
  assert.equal(counter.verified, 5);
});

test('aside: every check goes to the Worker, a lone one too, in maxBatch chunks and the rest at the end of the task', async () => {
  const { sched, batching, port } = subject({ minBatch: 4, maxBatch: 4 });
  const { inner, counter } = countingEd25519();
  const aside = batching.aside(inner);
  const [lone] = await checks(1);
  const alone = aside.verify(lone!.publicKey, lone!.message, lone!.signature);
  sched.endTask();
  assert.deepEqual(
    port.posted.map((r) => r.messageLengths.length),
    [1],
  );
  const cs = await checks(6, [1, 5]);
  const results = verifyAll(aside, cs);
  assert.equal(port.posted.length, 2, 'the first four went as they were issued');
  sched.endTask();
  assert.deepEqual(
    port.posted.map((r) => r.messageLengths.length),
    [1, 4, 2],
  );
  await port.answer();
  assert.equal(await alone, true);
  await assertVerdicts(results, cs);
  assert.equal(counter.verified, 0, 'none was checked in the thread');
});

test('aside: without a Worker, or with one that stalled, the checks run in the thread', async () => {
  const { inner, counter } = countingEd25519();
  const sched = manualScheduling();
  const batching = batchingEd25519(sched.options);
  const aside = batching.aside(inner);
  const cs = await checks(3, [2]);
  const alone = verifyAll(aside, cs);
  sched.endTask();
  await assertVerdicts(alone, cs);
  assert.equal(counter.verified, 3);

  const port = workerPort(() => new Promise(() => {}));
  batching.attach(port);
  const sent = verifyAll(aside, cs);
  sched.endTask();
  assert.equal(port.posted.length, 1);
  sched.fireTimers();
  await assertVerdicts(sent, cs);
  assert.equal(counter.verified, 6, 'the unanswered batch was checked in the thread');
  const after = verifyAll(aside, cs);
  sched.endTask();
  await assertVerdicts(after, cs);
  assert.equal(port.posted.length, 1, 'nothing more went to the stalled port');
  assert.equal(counter.verified, 9);
});

test('aside and shared checks of one task: the aside ones all go to the Worker, the shared ones are split as without them', async () => {
  const { counter, sched, batching, batched, port } = subject({ minBatch: 2 });
  const aside = batching.aside(countingEd25519().inner);
  const mine = await checks(3);
  const shared = await checks(5, [4]);
  const asideResults = verifyAll(aside, mine);
  const sharedResults = verifyAll(batched, shared);
  sched.endTask();
  // Aside: the three in one message. Shared: the first in the thread, of the four left
  // three to the Worker and one here (three each side), as without the aside ones.
  assert.deepEqual(
    port.posted.map((r) => r.messageLengths.length),
    [3, 3],
  );
  assert.equal(counter.verified, 2);
  await port.answer();
  await assertVerdicts(asideResults, mine);
  await assertVerdicts(sharedResults, shared);
});

test('fewer queued checks than minBatch are checked in the thread', async () => {
  const { counter, sched, batched, port } = subject({ minBatch: 8 });
  const cs = await checks(5, [2]);
  const results = verifyAll(batched, cs);
  sched.endTask();
  await assertVerdicts(results, cs);
  assert.equal(counter.verified, 5);
  assert.equal(port.posted.length, 0);
});

test('without a Worker every check runs in the thread', async () => {
  const { inner, counter } = countingEd25519();
  const batching = batchingEd25519({ ...manualScheduling().options, minBatch: 2 });
  const batched = batching.over(inner);
  const cs = await checks(6, [0]);
  assert.deepEqual(
    await Promise.all(verifyAll(batched, cs)),
    cs.map((c) => c.valid),
  );
  assert.equal(counter.verified, 6);
});

test('a Worker that never answers: the batch is checked in the thread at the timeout, and later batches stay there until it answers', async () => {
  const { counter, sched, batched, port } = subject({ minBatch: 2 });
  const cs = await checks(5, [4]);
  const results = verifyAll(batched, cs);
  sched.endTask();
  assert.equal(port.posted.length, 1);
  sched.fireTimers();
  await assertVerdicts(results, cs);
  assert.equal(counter.verified, 5);

  // Stalled: the next batch is not sent.
  const again = verifyAll(batched, cs);
  sched.endTask();
  assert.equal(port.posted.length, 1);
  assert.deepEqual(
    await Promise.all(again),
    cs.map((c) => c.valid),
  );

  // A late reply (ignored: already checked) shows the Worker alive: batches go to it again.
  await port.answer();
  await assertVerdicts(results, cs);
  const third = verifyAll(batched, cs);
  sched.endTask();
  assert.equal(port.posted.length, 1);
  await port.answer();
  assert.deepEqual(
    await Promise.all(third),
    cs.map((c) => c.valid),
  );
});

test('a port replaced (the worker got a new one) hands its unanswered batches back to the thread', async () => {
  const { inner, counter } = countingEd25519();
  const sched = manualScheduling();
  const batching = batchingEd25519({ ...sched.options, minBatch: 2 });
  const batched = batching.over(inner);
  const old = workerPort();
  batching.attach(old);
  const cs = await checks(4, [1]);
  const results = verifyAll(batched, cs);
  sched.endTask();
  assert.equal(old.posted.length, 1);
  const fresh = workerPort();
  batching.attach(fresh);
  assert.ok(old.closed);
  await assertVerdicts(results, cs);
  assert.equal(counter.verified, 4);
  assert.equal(sched.pendingTimers(), 0);

  const next = verifyAll(batched, cs);
  sched.endTask();
  assert.equal(fresh.posted.length, 1);
  await fresh.answer();
  assert.deepEqual(
    await Promise.all(next),
    cs.map((c) => c.valid),
  );
});

test('a reply on another port than the batch went out on settles nothing', async () => {
  const { inner } = countingEd25519();
  const sched = manualScheduling();
  const batching = batchingEd25519({ ...sched.options, minBatch: 2 });
  const batched = batching.over(inner);
  const old = workerPort();
  batching.attach(old);
  // Whoever still holds the replaced port's other end, answering there.
  const oldHandler = old.onmessage!;
  const fresh = workerPort();
  batching.attach(fresh);
  const cs = await checks(4, [1]);
  const results = verifyAll(batched, cs);
  sched.endTask();
  assert.equal(fresh.posted.length, 1);
  const { id, messageLengths } = fresh.posted[0]!;
  oldHandler({ data: { id, results: messageLengths.map(() => true) } } as MessageEvent);
  // The batched checks (all but the task's first) still wait for their own port.
  const settled = results.map(() => false);
  for (const [i, result] of results.entries()) {
    void result.then(() => {
      settled[i] = true;
    });
  }
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(settled.slice(1), [false, false, false]);
  await fresh.answer();
  await assertVerdicts(results, cs);
});

test('a reply without one boolean per item is not believed: the batch is checked in the thread', async () => {
  // Claims all valid, one result short.
  const { counter, sched, batched, port } = subject({ minBatch: 2 }, async (r) => ({
    id: r.id,
    results: r.messageLengths.slice(1).map(() => true),
  }));
  const cs = await checks(4, [2, 3]);
  const results = verifyAll(batched, cs);
  sched.endTask();
  await port.answer();
  await assertVerdicts(results, cs);
  assert.equal(counter.verified, 4);
});

test('a port that cannot post: the batch is checked in the thread', async () => {
  const { counter, sched, batched, port } = subject({ minBatch: 2 });
  port.close();
  const cs = await checks(3, [0]);
  const results = verifyAll(batched, cs);
  sched.endTask();
  await assertVerdicts(results, cs);
  assert.equal(counter.verified, 3);
});

test('verifyBatch: a key that is not a curve point is invalid, not an error', async () => {
  const [check] = await checks(1);
  const reply = await verifyBatch(
    ed25519,
    packBatch(3, [{ ...check!, publicKey: new Uint8Array(32).fill(0xff) }, check!]),
  );
  assert.deepEqual(reply, { id: 3, results: [false, true] });
});

test('verifyBatch: a batch that does not add up gets no results', async () => {
  const [check] = await checks(1);
  const packed = packBatch(4, [check!]);
  const reply = await verifyBatch(ed25519, { ...packed, messageLengths: [packed.messageLengths[0]! + 1] });
  assert.deepEqual(reply, { id: 4, results: [] });
});
