// The offscreen document's side of the verifier Worker (verifier-offers.ts):
// the Worker's end of a channel goes to it only once the service worker's end
// went out, else it is closed; a Worker that fails is terminated before a
// later offer starts another.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type VerifierWorker, verifierOffers } from '../../../background/offscreen/verifier-offers.ts';
import { silentLogger } from '../../../src/core/ports.ts';
import type { VerifierOffer } from '../../../src/platform/web/verifier-wire.ts';

interface End {
  readonly name: string;
  closed: boolean;
  close(): void;
}

function end(name: string): End {
  return {
    name,
    closed: false,
    close() {
      this.closed = true;
    },
  };
}

function document(hasServiceWorker: () => boolean) {
  const workers: (VerifierWorker & { given: End[]; terminated: boolean; fail(): void })[] = [];
  const toServiceWorker: { offer: VerifierOffer; port: End }[] = [];
  const ends: End[] = [];
  let channels = 0;
  const offers = verifierOffers<End>({
    start: (onError) => {
      const worker = {
        given: [] as End[],
        terminated: false,
        postMessage(_offer: VerifierOffer, transfer: End[]) {
          this.given.push(...(transfer as End[]));
        },
        terminate() {
          this.terminated = true;
        },
        fail: () => onError('boom'),
      };
      workers.push(worker);
      return worker;
    },
    channel: () => {
      channels++;
      const port1 = end(`worker end ${channels}`);
      const port2 = end(`sw end ${channels}`);
      ends.push(port1, port2);
      return { port1, port2 };
    },
    // As offscreen.ts's: after awaiting the registration; the port is closed when there is no active worker.
    toServiceWorker: async (offer, port) => {
      await Promise.resolve();
      if (!hasServiceWorker()) {
        port.close();
        return false;
      }
      toServiceWorker.push({ offer, port });
      return true;
    },
    logger: silentLogger,
  });
  return { offer: () => offers.offer(), workers, toServiceWorker, ends };
}

test('with no active service worker, neither end is left open and the Worker is given nothing', async () => {
  const doc = document(() => false);
  await doc.offer();
  assert.equal(doc.workers.length, 1);
  assert.deepEqual(doc.workers[0]!.given, []);
  assert.deepEqual(doc.toServiceWorker, []);
  assert.deepEqual(
    doc.ends.map((e) => [e.name, e.closed]),
    [
      ['worker end 1', true],
      ['sw end 1', true],
    ],
  );
});

test('with one, the service worker gets one end and the Worker the other, one Worker for every offer', async () => {
  const doc = document(() => true);
  await doc.offer();
  await doc.offer();
  assert.equal(doc.workers.length, 1);
  assert.deepEqual(
    doc.workers[0]!.given.map((end) => [end.name, end.closed]),
    [
      ['worker end 1', false],
      ['worker end 2', false],
    ],
  );
  assert.deepEqual(
    doc.toServiceWorker.map(({ offer, port }) => [offer.kind, port.name]),
    [
      ['p2pm-verifier-channel', 'sw end 1'],
      ['p2pm-verifier-channel', 'sw end 2'],
    ],
  );
});

test('a Worker that fails is terminated, and the next offer starts one Worker in its place', async () => {
  const doc = document(() => true);
  await doc.offer();
  doc.workers[0]!.fail();
  assert.equal(doc.workers[0]!.terminated, true);
  await doc.offer();
  assert.equal(doc.workers.length, 2);
  assert.deepEqual(
    doc.workers.map((w) => [w.given.map((end) => end.name), w.terminated]),
    [
      [['worker end 1'], true],
      [['worker end 2'], false],
    ],
  );
});
