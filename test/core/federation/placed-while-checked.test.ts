// A received transaction's events are placed while their signatures are
// still being checked (inbound/transaction.ts, receive-pdus.ts): the write
// goes as far as it can and holds its commit (WriteTx.hold) until the checks
// say yes. These tests hold the checks (a gated `ed25519Aside`) and watch
// the write through a store wrapper: the events are placed beside the
// checks, nothing is answered before they held, checks not done in time
// abort the write (which then places the events once checked), and a
// forged signature aborts it, after which the others are placed as before
// and the forged one is refused; a batch that lacks a prev event is not
// placed while checked, and asks its origin for the gap only once its checks
// held (mustBeSigned). Over SQLite and over IndexedDB. And checks that ended
// before the write asks for them are answered with a promise settled already
// (verdictOf), which is what lets IndexedDB's hold go on without a read.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Ed25519, JsonObject, RoomEvent } from '../../../src/core/protocol.ts';
import { eventsTable } from '../../../src/core/rooms/tables.ts';
import { roomTableNames } from '../../../src/core/rooms/federation-api.ts';
import type { Store, WriteTx } from '../../../src/core/storage/port.ts';
import { ed25519 } from '../../support/ed25519.ts';
import { defaultInboundLimits } from '../../../src/core/federation/inbound/inbound-deps.ts';
import { verdictOf } from '../../../src/core/federation/inbound/transaction.ts';
import type { Intake } from '../../../src/core/federation/pdu-intake.ts';
import { systemClock } from '../../../src/platform/system-clock.ts';
import type { FederationResponse } from '../../../src/core/federation/transport.ts';
import { type Account, type ClusterNode, createFederatedCluster } from '../../support/federated-cluster.ts';
import { type RoguePeer, rogueJoins, roguePeer, rogueRoom } from './rogue-peer.ts';

type Cluster = Awaited<ReturnType<typeof createFederatedCluster>>;

/** Ed25519 whose checks wait while the gate is shut; `waiting` says how many wait. */
function gatedEd25519() {
  let shut = false;
  let open: () => void = () => {};
  let gate = Promise.resolve();
  const gated = {
    waiting: 0,
    shut() {
      shut = true;
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
    },
    open() {
      shut = false;
      open();
    },
  };
  const checks: Ed25519 = {
    publicKey: (seed) => ed25519.publicKey(seed),
    sign: (seed, message) => ed25519.sign(seed, message),
    async verify(publicKey, message, signature) {
      if (shut) {
        gated.waiting++;
        await gate;
        gated.waiting--;
      }
      return ed25519.verify(publicKey, message, signature);
    },
  };
  return { gated, checks };
}

/** Ed25519 counting its checks, with a wait for a count. */
function countedEd25519() {
  const waiters: (() => void)[] = [];
  const counted = {
    verified: 0,
    async until(count: number): Promise<void> {
      while (counted.verified < count) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    ed25519: {
      publicKey: (seed) => ed25519.publicKey(seed),
      sign: (seed, message) => ed25519.sign(seed, message),
      verify(publicKey, message, signature) {
        counted.verified++;
        for (const wake of waiters.splice(0)) wake();
        return ed25519.verify(publicKey, message, signature);
      },
    } satisfies Ed25519,
  };
  return counted;
}

/** A write that held: whether checks were waiting when it did, and how it ended. */
interface Held {
  readonly checksWaiting: number;
  ended?: 'committed' | 'aborted';
}

/** The writes that held, and a wait for the next one to hold or to end. */
class Holds {
  readonly log: Held[] = [];
  /** Writes ended, held or not. */
  writes = 0;
  #waiters: (() => void)[] = [];
  noted(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
  /** Resolves once `check` is true, looking again at each write that holds or ends (any write's end). */
  async until(check: (log: readonly Held[]) => boolean): Promise<void> {
    while (!check(this.log)) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}

/** `store` with every write that calls hold noted in `holds`, and every write's end counted. */
function watchingHolds(store: Store, holds: Holds, waiting: () => number): Store {
  return {
    ...store,
    read: (tables, fn) => store.read(tables, fn),
    write: async <T>(tables: readonly string[], fn: (tx: WriteTx) => Promise<T>) => {
      let entry: Held | undefined;
      const end = (ended: Held['ended']) => {
        holds.writes++;
        if (entry) entry.ended = ended;
        holds.noted();
      };
      try {
        const result = await store.write(tables, (tx) =>
          fn({
            ...tx,
            hold: (work) => {
              entry = { checksWaiting: waiting() };
              holds.log.push(entry);
              holds.noted();
              return tx.hold(work);
            },
          }),
        );
        end('committed');
        return result;
      } catch (err) {
        end('aborted');
        throw err;
      }
    },
    close: () => store.close(),
  };
}

test("a room's checks over before the placing asks for them: the answer is settled already, so the write's hold needs no read", async () => {
  const NOT_YET = Symbol('not yet');
  // What WriteTx.hold does first (dexie-store.ts): a race with a promise resolved already.
  const settled = (answer: Promise<boolean>) => Promise.race([answer, Promise.resolve(NOT_YET)]);
  const askedOnceOver = async (intakes: readonly Intake[]) => {
    const signed = verdictOf(
      systemClock,
      intakes.map((intake) => Promise.resolve(intake)),
      60_000,
    );
    await new Promise((resolve) => setImmediate(resolve));
    const answer = signed();
    assert.equal(signed(), answer, 'every ask gets the first answer');
    return settled(answer);
  };
  const held = { ok: true, event: {} as RoomEvent, redacted: false } as const;
  assert.equal(await askedOnceOver([held, held]), true);
  assert.equal(await askedOnceOver([held, { ok: false, eventId: '$forged', reason: '2: no' }]), false);
  assert.equal(await askedOnceOver([]), true);

  // Asked while a check still runs: the answer waits for it (the hold reads meanwhile).
  const running = Promise.withResolvers<Intake>();
  const signed = verdictOf(systemClock, [Promise.resolve(held), running.promise], 60_000);
  const answer = signed();
  assert.equal(await settled(answer), NOT_YET);
  running.resolve(held);
  assert.equal(await answer, true);
  assert.equal(signed(), answer, 'the checks ended since: still the first answer');
});

/** The tests below with each store, and a deadline for the checks that only a test waiting on purpose reaches. */
for (const store of ['sqlite', 'dexie'] as const)
  describe(`a received transaction placed while its signatures are checked (${store})`, {
    timeout: 30_000,
  }, () => {
    let checksDeadlineMs = 60_000;
    const { gated, checks } = gatedEd25519();
    const shared = countedEd25519();
    const holds = new Holds();
    let cluster: Cluster;
    let a: ClusterNode;
    let rogue: RoguePeer;
    let roomId: string;
    let mallory: string;
    let auth: string[];
    let last: string;
    let depth = 20;
    let alice: Account;

    before(async () => {
      cluster = await createFederatedCluster(['a'], {
        store,
        ed25519: shared.ed25519,
        // Read at each transaction: a test shortens it.
        federation: {
          inbound: {
            ...defaultInboundLimits,
            get checksDeadlineMs() {
              return checksDeadlineMs;
            },
          },
        },
        ed25519Aside: checks,
        wrapStore: (_label, opened) => watchingHolds(opened, holds, () => gated.waiting),
      });
      ({ node: a, alice, roomId, rogue, mallory, joinId: last, auth } = await rogueRoom(cluster));
    });
    after(() => cluster.close());

    /** Messages by mallory, siblings after the last event placed. */
    const messages = (count: number) =>
      Promise.all(
        Array.from({ length: count }, (_, i) =>
          rogue.event({
            room_id: roomId,
            type: 'm.room.message',
            sender: mallory,
            prev_events: [last],
            auth_events: auth,
            depth: depth + i,
            content: { msgtype: 'm.text', body: `message ${depth + i}` },
          }),
        ),
      );

    const held = (ids: readonly string[]) =>
      a.store.read(roomTableNames, async (tx) =>
        Promise.all(ids.map(async (id) => !!(await eventsTable.get(tx, id)))),
      );

    /** Sends `sent` while the checks are shut; resolves once a write held, with the reply to come. */
    async function sendShut(sent: readonly { pdu: JsonObject }[]) {
      holds.log.length = 0;
      gated.shut();
      let answered = false;
      const reply = rogue.send(
        a.serverName,
        sent.map((m) => m.pdu),
      );
      void reply.then(() => {
        answered = true;
      });
      await Promise.race([
        holds.until((log) => log.length === 1),
        reply.then(() => assert.fail('answered before any write held')),
      ]);
      return { reply, answered: () => answered };
    }

    async function assertAccepted(reply: Promise<FederationResponse>, sent: readonly { eventId: string }[]) {
      const res = await reply;
      assert.equal(res.status, 200);
      assert.deepEqual((res.body as JsonObject).pdus, Object.fromEntries(sent.map((m) => [m.eventId, {}])));
      assert.deepEqual(await held(sent.map((m) => m.eventId)), [true, true, true]);
      last = sent[2]!.eventId;
      depth += 10;
    }

    test('the events are placed while their checks wait, and the write commits, and is answered, once they held', async () => {
      const sent = await messages(3);
      const { reply, answered } = await sendShut(sent);
      assert.equal(holds.log[0]!.checksWaiting, 3, 'the write held with every check still waiting');
      assert.equal(answered(), false);
      gated.open();
      await assertAccepted(reply, sent);
      assert.deepEqual(holds.log, [{ checksWaiting: 3, ended: 'committed' }]);
    });

    test('checks not done soon after the placing abort the held write; the events are placed once checked, holding nothing', async () => {
      checksDeadlineMs = 1;
      const sent = await messages(3);
      const { reply, answered } = await sendShut(sent);
      await holds.until((log) => log[0]!.ended !== undefined);
      assert.equal(holds.log[0]!.ended, 'aborted');
      assert.equal(gated.waiting, 3, 'the checks still wait');
      assert.equal(answered(), false);
      gated.open();
      await assertAccepted(reply, sent);
      assert.equal(holds.log.length, 1, 'the events were placed without a hold');
      checksDeadlineMs = 60_000;
    });

    test('a forged signature aborts the held write: the others are placed after all, the forged one is refused and not stored', async () => {
      const sent = await messages(3);
      const forged = structuredClone(sent[1]!.pdu) as JsonObject & {
        signatures: Record<string, Record<string, string>>;
      };
      const bySender = forged.signatures[rogue.serverName]!;
      const keyId = Object.keys(bySender)[0]!;
      // Another event's signature: well-formed, and wrong for this one (its id does not cover signatures).
      bySender[keyId] = (sent[0]!.pdu.signatures as Record<string, Record<string, string>>)[
        rogue.serverName
      ]![keyId]!;
      holds.log.length = 0;
      const res = await rogue.send(a.serverName, [sent[0]!.pdu, forged, sent[2]!.pdu]);
      assert.equal(res.status, 200);
      const results = (res.body as JsonObject).pdus as Record<string, JsonObject>;
      assert.deepEqual(results[sent[0]!.eventId], {});
      assert.deepEqual(results[sent[2]!.eventId], {});
      assert.match(String(results[sent[1]!.eventId]?.error), /^2: /);
      assert.equal(holds.log[0]?.ended, 'aborted', 'the write that placed all three held and aborted');
      assert.deepEqual(await held(sent.map((m) => m.eventId)), [true, false, true]);
      depth += 10;
    });

    test('a transaction that lacks a prev event asks its origin nothing before its checks held: forged, nothing at all; signed, the gap', async () => {
      const asked: { path: string; checksWaiting: number }[] = [];
      rogue.serve(async (_from, req): Promise<FederationResponse> => {
        asked.push({ path: req.path, checksWaiting: gated.waiting });
        if (!req.path.includes('get_missing_events'))
          return { status: 404, body: { errcode: 'M_NOT_FOUND', error: 'no' } };
        return { status: 200, body: { events: [gap.pdu] } };
      });
      const message = (prev: string, body: string) =>
        rogue.event({
          room_id: roomId,
          type: 'm.room.message',
          sender: mallory,
          prev_events: [prev],
          auth_events: auth,
          depth: depth++,
          content: { msgtype: 'm.text', body },
        });
      // `gap` is never sent: each transaction below lacks it.
      const gap = await message(last, 'the gap');
      const tip = await message(gap.eventId, 'after the gap');
      const forged = structuredClone(tip.pdu) as JsonObject & {
        signatures: Record<string, Record<string, string>>;
      };
      const bySender = forged.signatures[rogue.serverName]!;
      const keyId = Object.keys(bySender)[0]!;
      bySender[keyId] = (gap.pdu.signatures as Record<string, Record<string, string>>)[rogue.serverName]![
        keyId
      ]!;
      holds.log.length = 0;
      const refused = await rogue.send(a.serverName, [forged]);
      assert.equal(refused.status, 200);
      assert.match(
        String(((refused.body as JsonObject).pdus as Record<string, JsonObject>)[tip.eventId]?.error),
        /^2: /,
      );
      assert.equal(asked.length, 0, 'the origin was asked nothing for an event whose signature did not hold');
      assert.deepEqual(await held([gap.eventId, tip.eventId]), [false, false]);
      // Signed, the same event is placed after the gap is asked of its origin, once its check
      // held: with the check shut, its two surveys (presumed new, then read) end, and a few
      // turns later still nothing was asked (a fetch that did not wait for the checks was).
      gated.shut();
      const surveyed = holds.writes + 2;
      const reply = rogue.send(a.serverName, [tip.pdu]);
      await holds.until(() => holds.writes >= surveyed);
      assert.equal(gated.waiting, 1, 'its check waits');
      for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve));
      assert.equal(asked.length, 0, 'nothing was asked of the origin while the check waited');
      gated.open();
      const res = await reply;
      assert.deepEqual((res.body as JsonObject).pdus, { [tip.eventId]: {} });
      assert.ok(
        asked.some((r) => r.path.includes('get_missing_events')),
        'the gap was asked of the origin',
      );
      assert.ok(
        asked.every((r) => r.checksWaiting === 0),
        'asked only once the check held',
      );
      assert.deepEqual(await held([gap.eventId, tip.eventId]), [true, true]);
      assert.equal(holds.log.length, 0, 'a batch that lacks events is not placed while checked');
      last = tip.eventId;
      depth += 10;
    });

    test('a transaction that comes while another is handled is placed once checked: only the first holds', async () => {
      const other = await roguePeer(cluster, 0x67);
      const eve = await rogueJoins(other, a, alice.accessToken, roomId, 'eve');
      last = eve.eventId;
      const first = await messages(3);
      const second = await other.event({
        room_id: roomId,
        type: 'm.room.message',
        sender: eve.userId,
        prev_events: [last],
        auth_events: [auth[0]!, auth[1]!, eve.eventId],
        depth: depth + 5,
        content: { msgtype: 'm.text', body: 'from eve' },
      });
      const { reply } = await sendShut(first);
      const checkedBefore = shared.verified;
      const otherReply = other.send(a.serverName, [second.pdu]);
      // Its check goes to the shared Ed25519, not aside: once it has, the second is
      // being handled beside the first (its placing waits for the room behind it).
      await shared.until(checkedBefore + 1);
      gated.open();
      await assertAccepted(reply, first);
      const res = await otherReply;
      assert.deepEqual((res.body as JsonObject).pdus, { [second.eventId]: {} });
      assert.equal(holds.log.length, 1, 'the second was placed without a hold');
    });
  });
