// Chrome's Ed25519 for the homeserver in the service worker: signatures
// checked together are shared between this thread and the verifier Worker
// (verifier-wire.ts, its part in one message); a lone one is checked here
// (the `aside` checks, below, all go to the Worker).
//
// Chromium's WebCrypto checks an Ed25519 signature on the calling thread
// (Chromium 156: a trace of `node bench/run.ts extension-ingest` shows every
// check as a DoVerify task of the service worker's thread or of the verifier
// Worker's, 45-75 us each with tracing on, and none on any other thread; the
// offscreen document and its Worker share the service worker's renderer
// process). So checks split between this thread and the Worker's end in
// about half the time. Where the core issues checks together and awaits
// them all before going on (a join's state, a backfilled page: intakeAll):
//  - the first verify of a task is issued here at once: a lone live message
//    pays no hop to the Worker;
//  - the ones that follow in the same task are queued, and every `maxBatch`
//    of them go where fewer of the task's checks went so far, here or to the
//    Worker, so that both check while the rest of the transaction is parsed;
//  - when the task ends, what is left is split so that both sides got as
//    many; a share for the Worker smaller than `minBatch` is checked here
//    (below that a message costs about what it saves).
// The checks of a received transaction (inbound/transaction.ts starts each
// PDU's as soon as it is parsed, within one task) run while this thread
// places its events (`ed25519Aside`): those (`aside`) all go to the Worker,
// a lone one too, in batches of `maxBatch` and the rest when the task ends,
// since this thread has the placing to do meanwhile. (When a transaction's
// checks were awaited before its placing, the split was measured on it:
// without it the Worker checked 48 of 50 while this thread idled, and the
// wait for the checks after the parse was 2.1-2.5 ms p50 in
// `extension-ingest`, 3.2-3.3 ms with all of them here.)
// Whatever the Worker does not answer (no port yet, its port replaced, no
// reply within `timeoutMs`, a reply that is not one boolean per item) is
// checked here: a signature is never reported valid unless one of the two
// checked it, and a Worker that died cannot hold up ingest longer than the
// timeout (a write placed while its checks run waits far less: it aborts
// and places them once checked). After a timeout no batch goes to that port
// until it answers again.
// A port may be attached before the Ed25519 it batches for is made (`over`):
// the service worker is offered one before its homeserver boots.
import type { Ed25519 } from '../../src/core/protocol.ts';
import type { RpcChannel } from '../../src/platform/web/port-rpc.ts';
import {
  isVerifyReply,
  PUBLIC_KEY_BYTES,
  packBatch,
  SIGNATURE_BYTES,
  type VerifyItem,
  type VerifyRequest,
} from '../../src/platform/web/verifier-wire.ts';

/** A MessagePort to the verifier: batches go out on it, their buffers transferred. */
export interface VerifierPort extends RpcChannel {
  postMessage(message: VerifyRequest, transfer: ArrayBuffer[]): void;
}

export interface BatchingOptions {
  /** Fewest queued checks worth a message to the Worker (fewer are checked here). */
  readonly minBatch?: number;
  /** Queued checks sent at once, before the task ends. */
  readonly maxBatch?: number;
  /** How long a batch waits for the Worker before it is checked here. */
  readonly timeoutMs?: number;
  /** Runs `flush` once the current task is over (default setTimeout 0). */
  readonly afterTask?: (flush: () => void) => void;
  /** Timers for the reply timeout (default setTimeout/clearTimeout). */
  readonly setTimer?: (fire: () => void, ms: number) => unknown;
  readonly clearTimer?: (timer: unknown) => void;
}

export interface BatchingEd25519 {
  /** The current port to the verifier Worker; a newer one replaces it (the older is closed). */
  attach(port: VerifierPort): void;
  /** `inner`, its checks issued together sent to the Worker on the current port. */
  over(inner: Ed25519): Ed25519;
  /** `inner`, its checks all sent to the Worker when there is one (batched by task). */
  aside(inner: Ed25519): Ed25519;
}

/** Queued checks are sent at 8 or more: below that the message costs about what it saves. */
const MIN_BATCH = 8;
/** A transaction of 50 PDUs is dealt in three chunks and a rest, the first while 35 are still to parse. */
const MAX_BATCH = 16;
/** Generous: 50 checks take about 4 ms in the Worker; only a Worker gone misses it. */
const TIMEOUT_MS = 2_000;

interface Queued extends VerifyItem {
  /** The Ed25519 it was asked of (`over`): it is checked there when not in the Worker. */
  readonly inner: Ed25519;
  resolve(valid: boolean): void;
  reject(err: unknown): void;
}

interface Sent {
  readonly remote: Remote;
  readonly items: readonly Queued[];
  readonly timer: unknown;
}

interface Remote {
  readonly port: VerifierPort;
  /** A batch timed out and the port has not answered since. */
  stalled: boolean;
}

/** `inner`'s key and signing, which stay on this thread. */
const signingOf = (inner: Ed25519): Pick<Ed25519, 'publicKey' | 'sign'> => ({
  publicKey: (seed) => inner.publicKey(seed),
  sign: (seed, message) => inner.sign(seed, message),
});

export function batchingEd25519(options: BatchingOptions = {}): BatchingEd25519 {
  const minBatch = options.minBatch ?? MIN_BATCH;
  const maxBatch = Math.max(minBatch, options.maxBatch ?? MAX_BATCH);
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  const afterTask = options.afterTask ?? ((flush) => setTimeout(flush, 0));
  const setTimer = options.setTimer ?? ((fire, ms) => setTimeout(fire, ms));
  const clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>));

  let remote: Remote | undefined;
  /** Set from the first verify of a task until its flush: later ones in the task queue. */
  let inTask = false;
  let queue: Queued[] = [];
  /** The current task's checks for the Worker alone (`aside`). */
  let asideQueue: Queued[] = [];
  /** The current task's checks issued here and sent to the Worker. */
  let issuedHere = 0;
  let sentAway = 0;
  const sent = new Map<number, Sent>();
  let nextId = 1;

  const here = (items: readonly Queued[]) => {
    for (const item of items) {
      item.inner.verify(item.publicKey, item.message, item.signature).then(item.resolve, item.reject);
    }
  };

  /** Takes batch `id` off the list if it went out on `from` (ids are counted across ports). */
  const settle = (id: number, from: Remote): Sent | undefined => {
    const batch = sent.get(id);
    if (batch?.remote !== from) return undefined;
    sent.delete(id);
    clearTimer(batch.timer);
    return batch;
  };

  const receive = (from: Remote, data: unknown) => {
    if (!isVerifyReply(data)) return;
    from.stalled = false;
    // A reply settles only a batch still waiting on its own port (one that timed
    // out or was handed back meanwhile was checked here).
    const batch = settle(data.id, from);
    if (!batch) return;
    if (!isVerifyReply(data, batch.items.length)) {
      here(batch.items);
      return;
    }
    for (const [i, item] of batch.items.entries()) item.resolve(data.results[i] === true);
  };

  const send = (to: Remote, items: readonly Queued[]) => {
    const id = nextId++;
    try {
      const request = packBatch(id, items);
      to.port.postMessage(request, [request.bytes.buffer as ArrayBuffer]);
    } catch {
      here(items);
      return;
    }
    const timer = setTimer(() => {
      if (!settle(id, to)) return;
      to.stalled = true;
      here(items);
    }, timeoutMs);
    sent.set(id, { remote: to, items, timer });
  };

  /** Queued checks issued here or sent to the Worker (when it is there), counted for the task. */
  const dispatch = (items: readonly Queued[], away: boolean) => {
    if (items.length === 0) return;
    if (away && remote && !remote.stalled) {
      sentAway += items.length;
      send(remote, items);
    } else {
      issuedHere += items.length;
      here(items);
    }
  };

  /** The aside checks queued: sent to the Worker when it is up, else checked here (not counted for the split). */
  const flushAside = () => {
    const items = asideQueue;
    asideQueue = [];
    if (items.length === 0) return;
    if (remote && !remote.stalled) send(remote, items);
    else here(items);
  };

  /** A check queued for the end of the task, its arguments copied. */
  const enqueue = (
    into: Queued[],
    inner: Ed25519,
    publicKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
  ) => {
    // Copied now. The port's contract (src/core/protocol/ed25519.ts) has callers
    // leave the arguments unchanged until the promise settles, which already
    // covers packing them after this task; the copy (three small arrays per
    // queued check) is kept as a guard, as a queued check holds them past the
    // caller's task. WebCrypto does not copy at the call either: the
    // platform's backend reads signature and message after awaiting the key.
    const item = { publicKey: publicKey.slice(), message: message.slice(), signature: signature.slice() };
    return new Promise<boolean>((resolve, reject) => {
      into.push({ ...item, inner, resolve, reject });
    });
  };

  /** Whether a check can go to the Worker: there is one, answering, and the lengths pack. */
  const batchable = (publicKey: Uint8Array, signature: Uint8Array) =>
    // Odd lengths (core's verifyEd25519 lets none through) are not packed: checked here.
    remote !== undefined &&
    !remote.stalled &&
    publicKey.length === PUBLIC_KEY_BYTES &&
    signature.length === SIGNATURE_BYTES;

  /** The end of a task: what is left, split so that here and the Worker got as many of its checks. */
  const flush = () => {
    inTask = false;
    const items = queue;
    queue = [];
    const theirs = Math.min(
      items.length,
      Math.max(0, Math.round((issuedHere + items.length - sentAway) / 2)),
    );
    if (theirs >= minBatch) {
      dispatch(items.slice(0, theirs), true);
      dispatch(items.slice(theirs), false);
    } else dispatch(items, false);
    issuedHere = sentAway = 0;
  };

  return {
    attach(port) {
      const old = remote;
      const current: Remote = { port, stalled: false };
      remote = current;
      port.onmessage = (event) => receive(current, event.data);
      if (!old) return;
      old.port.onmessage = null;
      old.port.close();
      // Its batches will not be answered now: check them here.
      for (const id of sent.keys()) {
        const batch = settle(id, old);
        if (batch) here(batch.items);
      }
    },
    over: (inner) => ({
      ...signingOf(inner),
      verify(publicKey, message, signature) {
        if (!batchable(publicKey, signature)) return inner.verify(publicKey, message, signature);
        if (!inTask) {
          inTask = true;
          issuedHere++;
          afterTask(flush);
          return inner.verify(publicKey, message, signature);
        }
        const checked = enqueue(queue, inner, publicKey, message, signature);
        if (queue.length >= maxBatch) {
          const full = queue;
          queue = [];
          dispatch(full, sentAway <= issuedHere);
        }
        return checked;
      },
    }),
    aside: (inner) => ({
      ...signingOf(inner),
      verify(publicKey, message, signature) {
        if (!batchable(publicKey, signature)) return inner.verify(publicKey, message, signature);
        // Its own end of the task: the shared checks' split is as without these.
        if (asideQueue.length === 0) afterTask(flushAside);
        const checked = enqueue(asideQueue, inner, publicKey, message, signature);
        if (asideQueue.length >= maxBatch) flushAside();
        return checked;
      },
    }),
  };
}
