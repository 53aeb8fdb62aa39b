// The two stores of the storage port against each other: random
// transactions of puts, adds, deletes and deleteWhere, some issued together
// without awaiting each (as the placing write issues its rows), then every
// kind of query and count over every kind of index, must answer alike in
// Dexie over fake-indexeddb and in SQLite. The conformance suite states the
// rules case by case; this looks for the case it did not think of.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import type { Query, Row, SchemaVersion, Store, WriteTx } from '../../../src/core/storage.ts';
import { openSqliteStore } from '../../../src/node/storage/sqlite-store.ts';
import { openDexieStore } from '../../../src/platform/dexie/dexie-store.ts';
import { Rng } from '../../fuzz/rng.ts';

const VERSION: SchemaVersion = {
  version: 1,
  tables: {
    t: {
      key: 'id',
      indexes: {
        byA: 'a',
        byAB: ['a', 'b'],
        byTag: { path: 'tags', multiEntry: true },
        byD: 'c.d',
      },
    },
  },
};

/** A row with some of the indexed fields, of mixed key types (numbers sort before strings). */
function rowOf(random: () => number, id: string, version: number): Row {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const row: Row = { id, v: version };
  if (random() < 0.9) row.a = pick([1, 2, 3, 4, 'x', 'y']);
  if (random() < 0.8) row.b = pick([0, 1, 2, 'p']);
  if (random() < 0.6)
    row.tags = Array.from({ length: Math.floor(random() * 4) }, () => pick(['t1', 't2', 't3', 4]));
  if (random() < 0.5) row.c = { d: pick([10, 20, 'z']) };
  return row;
}

/** One call; a barrier (deleteWhere) is awaited before the calls after it are issued (see apply). */
type Step = ((tx: WriteTx) => Promise<unknown>) & { barrier?: true };

function randomTransaction(random: () => number, ids: readonly string[], version: number): Step[] {
  const steps: Step[] = [];
  const n = 1 + Math.floor(random() * 40);
  for (let i = 0; i < n; i++) {
    const id = ids[Math.floor(random() * ids.length)]!;
    const roll = random();
    const row = rowOf(random, id, version);
    if (roll < 0.4) steps.push((tx) => tx.add('t', row));
    else if (roll < 0.75) steps.push((tx) => tx.put('t', row));
    else if (roll < 0.8) {
      const rows = [row, rowOf(random, ids[0]!, version)];
      steps.push((tx) => tx.putAll('t', rows));
    } else if (roll < 0.92) steps.push((tx) => tx.delete('t', id));
    else {
      const a = [1, 2, 3, 'x'][Math.floor(random() * 4)]!;
      const limit = random() < 0.5 ? 2 : undefined;
      const step: Step = (tx) =>
        tx.deleteWhere('t', { index: 'byA', equals: a, ...(limit ? { limit } : {}) });
      step.barrier = true;
      steps.push(step);
    }
  }
  return steps;
}

/**
 * Issues the steps one after another, each awaited, or together: all the
 * calls between two barriers at once. A deleteWhere over an index reads the
 * keys it deletes first (port.ts), so calls on its table issued beside it
 * may run between its read and its deletes: it is awaited alone.
 */
function apply(store: Store, steps: readonly Step[], together: boolean): Promise<unknown[]> {
  return store.write(['t'], async (tx) => {
    const results: unknown[] = [];
    let group: Promise<unknown>[] = [];
    for (const step of steps) {
      if (together && !step.barrier) {
        group.push(step(tx));
        continue;
      }
      results.push(...(await Promise.all(group)), await step(tx));
      group = [];
    }
    results.push(...(await Promise.all(group)));
    return results;
  });
}

const QUERIES: readonly Query[] = (() => {
  const all: Query[] = [{}, { reverse: true }, { limit: 5 }, { reverse: true, limit: 7 }];
  const selections: Query[] = [
    { index: 'byA', equals: 2 },
    { index: 'byA', range: { lower: 2, upper: 'x' } },
    { index: 'byA', range: { lower: 2, upper: 'x', lowerOpen: true, upperOpen: true } },
    { index: 'byAB', range: { lower: [2], upper: [3, 'p'] } },
    { index: 'byAB', range: { lower: [2, 1], lowerOpen: true } },
    { index: 'byTag', equals: 't2' },
    { index: 'byTag', range: { lower: 't1', upper: 't3', upperOpen: true } },
    { index: 'byD', range: { upper: 20 } },
    { range: { lower: 'k05', upper: 'k20', lowerOpen: true } },
    { equals: 'k07' },
  ];
  for (const selection of selections)
    for (const order of [{}, { limit: 3 }, { reverse: true, limit: 4 }, { reverse: true }])
      all.push({ ...selection, ...order });
  return all;
})();

function answers(store: Store, ids: readonly string[]) {
  return store.read(['t'], async (tx) => ({
    gets: await Promise.all(ids.map((id) => tx.get('t', id))),
    queries: await Promise.all(QUERIES.map((query) => tx.query('t', query))),
    counts: await Promise.all(QUERIES.map((query) => tx.count('t', query))),
  }));
}

for (const seed of [11, 12, 13, 14, 15, 16, 17, 18]) {
  test(`Dexie and SQLite answer alike after random writes (seed ${seed})`, async () => {
    const rng = new Rng(seed);
    const random = () => rng.next();
    const ids = Array.from({ length: 24 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    const dexie = await openDexieStore(`differential-${process.pid}-${seed}`, [VERSION], {
      indexedDB,
      IDBKeyRange,
    });
    const sqlite = await openSqliteStore(':memory:', [VERSION]);
    try {
      for (let round = 0; round < 15; round++) {
        const steps = randomTransaction(random, ids, round);
        const together = random() < 0.5;
        assert.deepEqual(
          await apply(dexie, steps, together),
          await apply(sqlite, steps, together),
          `round ${round}`,
        );
        assert.deepEqual(await answers(dexie, ids), await answers(sqlite, ids), `round ${round}`);
      }
    } finally {
      await dexie.close();
      await sqlite.close();
    }
  });
}
