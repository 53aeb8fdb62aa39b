// PUT /_matrix/federation/v1/send/{txnId} (spec: "Transactions"): at most 50
// PDUs and 100 EDUs. PDUs are grouped by room and go through the checks on
// receipt (pdu-intake.ts, receive-pdus.ts); the answer maps each PDU's event
// id to {} or {error}. A transaction repeated by its sender (same origin and
// txnId, e.g. after a lost answer) gets the first answer again. One whose
// events lack what their origin did not give us when asked is answered 503
// (a few times at most), so that the sender sends it again later, as it
// does after any failure (ORIGIN_DID_NOT_ANSWER in receive-pdus.ts).
import { badJson, forbidden, unknown } from '../../errors.ts';
import type { JsonObject, JsonValue, RoomEvent, RoomVersion } from '../../protocol.ts';
import { BoundedCache } from '../../protocol/bounded-cache.ts';
import { heldRoomVersion, roomTableNames } from '../../rooms/federation-api.ts';
import type { Clock } from '../../ports.ts';
import { handled } from '../../storage/issued.ts';
import { type EduDeps, receiveEdus } from '../edus.ts';
import { eventIfSigned, type Intake, type ParsedPdu, parsePdu, verifyPdu } from '../pdu-intake.ts';
import { topoSort } from '../topo-sort.ts';
import type { InboundDeps } from './inbound-deps.ts';
import { NotSignedAfterAll, ORIGIN_DID_NOT_ANSWER, receivePdus } from './receive-pdus.ts';

export const MAX_TRANSACTION_PDUS = 50;
export const MAX_TRANSACTION_EDUS = 100;
/** Answers remembered for repeated transactions. */
const REMEMBERED_TRANSACTIONS = 1_000;
/**
 * Times a transaction is answered "send again" (503) because the origin did
 * not answer our requests for what its events lack (ORIGIN_DID_NOT_ANSWER),
 * before its events are dropped after all: a sender retries one transaction
 * at a time, so more would hold back all else it sends us.
 */
const ASKED_AGAIN = 3;
const REMEMBERED_ROOM_VERSIONS = 10_000;

export interface TransactionDeps extends InboundDeps {
  readonly edus: EduDeps;
  /** Times the wait of a write placed while its checks run (InboundLimits.checksDeadlineMs). */
  readonly clock: Clock;
}

export interface TransactionReceiver {
  receive(origin: string, txnId: string, body: JsonValue | Uint8Array | undefined): Promise<JsonObject>;
}

export function createTransactionReceiver(deps: TransactionDeps): TransactionReceiver {
  const answers = new Map<string, Promise<JsonObject>>();
  const askedAgain = new BoundedCache<string, number>(REMEMBERED_TRANSACTIONS);
  // A room's version never changes, so once a room is held its version is
  // known without a read (one storage transaction less per transaction).
  const versions = new BoundedCache<string, RoomVersion>(REMEMBERED_ROOM_VERSIONS);
  const versionOf = async (roomId: string): Promise<RoomVersion | undefined> => {
    const known = versions.get(roomId);
    if (known) return known;
    const version = await deps.store.read(roomTableNames, (tx) => heldRoomVersion(tx, roomId));
    if (version) versions.set(roomId, version);
    return version;
  };
  // Transactions being handled now (of different origins: each sends one at a time).
  let handling = 0;
  return {
    receive(origin, txnId, body) {
      const transaction = readTransaction(origin, body);
      const key = `${origin}\u0000${txnId}`;
      const known = answers.get(key);
      if (known) return known;
      const askAgain = () => {
        const times = askedAgain.get(key) ?? 0;
        askedAgain.set(key, times + 1);
        return times < ASKED_AGAIN;
      };
      handling++;
      // Alone, its rooms are placed while their checks run (placeRoom).
      const alone = handling === 1;
      const answer = handle(deps, versionOf, origin, transaction, askAgain, alone).finally(() => {
        handling--;
      });
      answers.set(key, answer);
      answer.catch(() => answers.delete(key));
      while (answers.size > REMEMBERED_TRANSACTIONS) answers.delete(answers.keys().next().value!);
      return answer;
    },
  };
}

interface Transaction {
  readonly pdus: readonly JsonValue[];
  readonly edus: readonly JsonValue[];
}

/** The body's shape and limits (400 otherwise); `origin` must be the authenticated peer (403). */
function readTransaction(origin: string, body: JsonValue | Uint8Array | undefined): Transaction {
  if (
    body === undefined ||
    body instanceof Uint8Array ||
    typeof body !== 'object' ||
    body === null ||
    Array.isArray(body)
  ) {
    throw badJson('a transaction is a JSON object');
  }
  if (body.origin !== origin)
    throw forbidden(`the transaction claims origin ${String(body.origin)}, not ${origin}`);
  const pdus = body.pdus ?? [];
  const edus = body.edus ?? [];
  if (!Array.isArray(pdus) || !Array.isArray(edus)) throw badJson('pdus and edus must be arrays');
  if (pdus.length > MAX_TRANSACTION_PDUS) {
    throw badJson(`the transaction has ${pdus.length} PDUs, more than ${MAX_TRANSACTION_PDUS}`);
  }
  if (edus.length > MAX_TRANSACTION_EDUS) {
    throw badJson(`the transaction has ${edus.length} EDUs, more than ${MAX_TRANSACTION_EDUS}`);
  }
  return { pdus, edus };
}

async function handle(
  deps: TransactionDeps,
  versionOf: (roomId: string) => Promise<RoomVersion | undefined>,
  origin: string,
  transaction: Transaction,
  askAgain: () => boolean,
  overlap: boolean,
): Promise<JsonObject> {
  const results: Record<string, JsonObject> = {};
  // Every room's PDUs are parsed and their checks started before any room is
  // placed: the signatures of the later rooms are checked meanwhile.
  // Awaited one by one below; a room placed before one may throw first (issued.ts: handled).
  const rooms: Promise<CheckedRoom>[] = [];
  for (const [roomId, raws] of byRoom(transaction.pdus, deps)) {
    const version = await versionOf(roomId);
    if (!version) {
      deps.logger.info('dropped PDUs of a room not held here', { origin, roomId, count: raws.length });
      continue;
    }
    rooms.push(handled(checkRoom(deps, origin, version, raws, overlap)));
  }
  let unanswered = false;
  for (const checked of rooms) {
    for (const [eventId, error] of await placeRoom(deps, origin, await checked)) {
      results[eventId] = error === undefined ? {} : { error };
      if (error === ORIGIN_DID_NOT_ANSWER) unanswered = true;
    }
  }
  // What was placed stays placed (sent again, it is already held); the EDUs
  // wait for the answer that is kept, so that none is taken twice.
  if (unanswered && askAgain())
    throw unknown(`${origin} did not answer for what its events lack: send the transaction again`, 503);
  try {
    await receiveEdus(deps.edus, origin, transaction.edus);
  } catch (err) {
    deps.logger.warn('the EDUs of a transaction failed', { origin, error: String(err) });
  }
  return { pdus: results };
}

/** PDUs grouped by their room_id; ones without a usable room_id are logged and dropped. */
function byRoom(pdus: readonly JsonValue[], deps: TransactionDeps): Map<string, JsonValue[]> {
  const out = new Map<string, JsonValue[]>();
  for (const pdu of pdus) {
    const roomId = typeof pdu === 'object' && pdu !== null && !Array.isArray(pdu) ? pdu.room_id : undefined;
    if (typeof roomId !== 'string') {
      deps.logger.info('dropped a PDU without a room_id');
      continue;
    }
    const room = out.get(roomId);
    if (room) room.push(pdu);
    else out.set(roomId, [pdu]);
  }
  return out;
}

/**
 * The `signed` of a room placed while its checks run, asked when the placing
 * is done (or before anything else is done with them): whether every check
 * passed (spec: server-server API, "Checks performed on receipt of a PDU",
 * step 2; nothing is committed before), false as soon as one fails, or
 * false once `deadlineMs` have passed since the first ask. Every ask gets
 * the first ask's answer.
 *
 * When the checks are over by the first ask (a live message's one check,
 * while its write waits on storage), that answer is a promise settled
 * already. The write's hold (WriteTx.hold) goes on at once only with one: a
 * promise first made at the ask would settle a few microtasks after the
 * hold's race, and IndexedDB commits a transaction with no request pending
 * (W3C IndexedDB 3.0, "transaction lifecycle"), so the hold would keep it
 * open with a read, a round trip to the store (0.3-2.2 ms in B's placing
 * write, `node bench/run.ts extension`, traced).
 */
export function verdictOf(
  clock: Clock,
  checks: readonly Promise<Intake>[],
  deadlineMs: number,
): () => Promise<boolean> {
  /** The verdict once the checks told it: Promise.resolve of it is a promise settled already. */
  let told: boolean | undefined;
  const all = new Promise<boolean>((resolve, reject) => {
    const settle = (held: boolean) => {
      told ??= held;
      resolve(held);
    };
    let left = checks.length;
    if (left === 0) settle(true);
    for (const check of checks)
      check.then((intake) => {
        if (!intake.ok) settle(false);
        else if (--left === 0) settle(true);
      }, reject);
  });
  // A check that threw rejects the answers asked after it; none asked, it is no unhandled rejection.
  all.catch(() => undefined);
  let verdict: Promise<boolean> | undefined;
  return () => {
    verdict ??= told === undefined ? withinDeadline(clock, all, deadlineMs) : Promise.resolve(told);
    return verdict;
  };
}

/** `verdict`, or false once `deadlineMs` have passed. */
async function withinDeadline(clock: Clock, verdict: Promise<boolean>, deadlineMs: number): Promise<boolean> {
  let done!: () => void;
  const over = new Promise<void>((resolve) => {
    done = resolve;
  });
  const late = clock.sleep(deadlineMs, over).then(() => false);
  try {
    return await Promise.race([verdict, late]);
  } finally {
    done();
  }
}

/** One room's PDUs past step 1, in DAG order, with their steps 2 and 3 under way. */
interface CheckedRoom {
  readonly version: RoomVersion;
  readonly checks: readonly Promise<Intake>[];
  /**
   * Each event as its checks give it if its signatures hold (eventIfSigned),
   * in the same order: only when the room is to be placed while they run
   * (`overlap`, and no PDU with an event id failed step 1).
   */
  readonly ifSigned?: readonly RoomEvent[];
  /** PDUs that failed step 1 but have an event id. */
  readonly results: Map<string, string | undefined>;
}

/**
 * One room's PDUs: step 1 for each, and steps 2 and 3 started for each as
 * soon as its step 1 is done (they run off the main thread, so the first
 * signatures are being checked while the rest are parsed).
 */
async function checkRoom(
  deps: TransactionDeps,
  origin: string,
  version: RoomVersion,
  raws: readonly JsonValue[],
  overlap: boolean,
): Promise<CheckedRoom> {
  const results = new Map<string, string | undefined>();
  // By event id: a PDU sent twice in one transaction is checked once.
  const checking = new Map<string, { readonly parsed: ParsedPdu; readonly checked: Promise<Intake> }>();
  for (const raw of raws) {
    const p = await parsePdu(raw, version);
    if (!p.ok) {
      if (p.eventId !== undefined) results.set(p.eventId, p.reason);
      else deps.logger.info('dropped a malformed PDU', { origin, reason: p.reason });
      continue;
    }
    const id = p.parsed.event.event_id;
    if (checking.has(id)) continue;
    // A failure surfaces where the checks are awaited (placeRoom). Run while
    // the room is placed (`overlap`), they go to the verifier's thread where
    // there is one; else they are shared with this thread, which waits.
    const ed25519 = (overlap && deps.ed25519Aside) || deps.ed25519;
    const checked = handled(verifyPdu(ed25519, p.parsed, version));
    checking.set(id, { parsed: p.parsed, checked });
  }
  const ordered = topoSort(
    [...checking.values()].map((c) => c.parsed.event),
    (e) => e.prev_events,
  );
  const parsed = ordered.map((e) => checking.get(e.event_id)!);
  return {
    version,
    checks: parsed.map((c) => c.checked),
    ...(overlap &&
      results.size === 0 && {
        ifSigned: await Promise.all(parsed.map((c) => eventIfSigned(c.parsed, version))),
      }),
    results,
  };
}

/**
 * Places one room's checked events in one write transaction. When no other
 * transaction is being handled (`overlap`: one peer sending, or a message
 * now and then) and no PDU with an event id failed step 1 (the usual case:
 * checkRoom gives `ifSigned` then), the events are placed as their checks
 * will give them if their signatures hold (`ifSigned`: step 3 is known from
 * step 1), while steps 2 are still running, and the write commits only once
 * all of them passed (receive-pdus.ts): checking and placing overlap, in one
 * write transaction, and nothing unchecked is ever committed or answered. If
 * one fails, or they are not done `checksDeadlineMs` after the placing, that
 * write aborts and the checked events are placed as below. With other
 * transactions under way, their writes fill the wait for the checks, and a
 * held write would stop them (it holds the room tables, in SQLite the whole
 * store): in Node, four peers sending into four rooms placed 11-21 % fewer
 * PDUs a second held than placing after the checks.
 *
 * Otherwise once all their checks are done. Placing in steps as checks
 * finished (ten, then whatever was checked by then) overlapped placing with
 * checking, but each step is a write transaction with its own survey, reads
 * of the room and commit: in Node, paired runs in one process (load 1.7)
 * placed 4,200-5,300 PDUs/s in steps and 5,100-5,700/s at once, with
 * 100-118 us of main thread per PDU instead of 119-163 (issue 13).
 */
async function placeRoom(
  deps: TransactionDeps,
  origin: string,
  { version, checks, ifSigned, results }: CheckedRoom,
): Promise<Map<string, string | undefined>> {
  if (ifSigned) {
    const signed = verdictOf(deps.clock, checks, deps.limits.checksDeadlineMs);
    try {
      return await receivePdus(deps, origin, version, ifSigned, signed);
    } catch (err) {
      if (!(err instanceof NotSignedAfterAll)) throw err;
    }
  }
  const events: RoomEvent[] = [];
  for (const intake of await Promise.all(checks)) {
    if (intake.ok) events.push(intake.event);
    else if (intake.eventId !== undefined) results.set(intake.eventId, intake.reason);
  }
  for (const [id, error] of await receivePdus(deps, origin, version, events)) results.set(id, error);
  return results;
}
