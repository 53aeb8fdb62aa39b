// A received transaction's events are placed while their signatures are
// still being checked (inbound/transaction.ts, receive-pdus.ts): the write
// goes as far as it can and holds its commit (WriteTx.hold) until the checks
// say yes. These tests hold the checks (a gated `ed25519Aside`) and watch
// the write through a store wrapper: the events are placed beside the
// checks, nothing is answered before they held, and a forged signature
// aborts that write, after which the others are placed as before and the
// forged one is refused. FED_STORE=dexie runs them over IndexedDB.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Ed25519, JsonObject } from '../../../src/core/protocol.ts';
import { eventsTable } from '../../../src/core/rooms/tables.ts';
import { roomTableNames } from '../../../src/core/rooms/federation-api.ts';
import type { Store, WriteTx } from '../../../src/core/storage/port.ts';
import { ed25519 } from '../../support/ed25519.ts';
import { type Account, type ClusterNode, createFederatedCluster } from '../../support/federated-cluster.ts';
import { type RoguePeer, rogueJoins, roguePeer } from './rogue-peer.ts';
import { createRoom } from './room-helpers.ts';

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

/** What the writes that held did: whether checks were waiting when they held, and how each ended. */
interface Holds {
  readonly log: { checksWaiting: number; ended?: 'committed' | 'aborted' }[];
}

/** `store` with every write that calls hold noted in `holds`. */
function watchingHolds(store: Store, holds: Holds, waiting: () => number): Store {
  return {
    ...store,
    read: (tables, fn) => store.read(tables, fn),
    write: async <T>(tables: readonly string[], fn: (tx: WriteTx) => Promise<T>) => {
      let entry: Holds['log'][number] | undefined;
      try {
        const result = await store.write(tables, (tx) =>
          fn({
            ...tx,
            hold: (work) => {
              entry = { checksWaiting: waiting() };
              holds.log.push(entry);
              return tx.hold(work);
            },
          }),
        );
        if (entry) entry.ended = 'committed';
        return result;
      } catch (err) {
        if (entry) entry.ended = 'aborted';
        throw err;
      }
    },
    close: () => store.close(),
  };
}

describe('a received transaction placed while its signatures are checked', () => {
  const { gated, checks } = gatedEd25519();
  const holds: Holds = { log: [] };
  let cluster: Cluster;
  let a: ClusterNode;
  let alice: Account;
  let rogue: RoguePeer;
  let roomId: string;
  let mallory: string;
  let auth: string[];
  let last: string;
  let depth = 20;

  before(async () => {
    cluster = await createFederatedCluster(['a'], {
      ed25519Aside: checks,
      wrapStore: (_label, store) => watchingHolds(store, holds, () => gated.waiting),
    });
    a = cluster.node('a');
    alice = await a.register('alice');
    roomId = await createRoom(a, alice, { preset: 'public_chat' });
    rogue = await roguePeer(cluster);
    const joined = await rogueJoins(rogue, a, alice.accessToken, roomId);
    mallory = joined.userId;
    last = joined.eventId;
    auth = [joined.facts.create, joined.facts.powerLevels, joined.eventId];
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

  /** Resolves once `check` is true, looking again after each turn of the event loop. */
  async function until(check: () => boolean): Promise<void> {
    while (!check()) await new Promise((resolve) => setImmediate(resolve));
  }

  test('the events are placed while their checks wait, and the write commits, and is answered, once they held', async () => {
    const sent = await messages(3);
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
      until(() => holds.log.length === 1),
      reply.then(() => assert.fail('answered before any write held')),
    ]);
    assert.equal(holds.log[0]!.checksWaiting, 3, 'the write held with every check still waiting');
    assert.equal(answered, false);
    gated.open();
    const res = await reply;
    assert.equal(res.status, 200);
    assert.deepEqual((res.body as JsonObject).pdus, Object.fromEntries(sent.map((m) => [m.eventId, {}])));
    assert.deepEqual(holds.log, [{ checksWaiting: 3, ended: 'committed' }]);
    assert.deepEqual(await held(sent.map((m) => m.eventId)), [true, true, true]);
    last = sent[2]!.eventId;
    depth += 10;
  });

  test('a forged signature aborts the held write: the others are placed after all, the forged one is refused and not stored', async () => {
    const sent = await messages(3);
    const forged = structuredClone(sent[1]!.pdu) as JsonObject & {
      signatures: Record<string, Record<string, string>>;
    };
    const bySender = forged.signatures[rogue.serverName]!;
    const keyId = Object.keys(bySender)[0]!;
    // Another event's signature: well-formed, and wrong for this one (its id does not cover signatures).
    bySender[keyId] = (sent[0]!.pdu.signatures as Record<string, Record<string, string>>)[rogue.serverName]![
      keyId
    ]!;
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
});
