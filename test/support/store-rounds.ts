// A store that answers a write's requests in rounds, as a browser's storage
// process answers IndexedDB's: each request awaited on its own is a round
// trip from the worker to that process, while requests issued together go in
// one. The requests issued until a round is answered (the next macrotask) go
// in it, those issued after in the next: so a test can count the round trips
// a write makes, whatever the store beneath (SQLite answers at once).
import type { ReadTx, Store } from '../../src/core/storage/port.ts';
import { wrappedWrites } from './wrapped-writes.ts';
import { EVENTS } from '../../src/core/rooms/tables.ts';

/**
 * `inner` answering each write's requests in rounds (see the header);
 * `rounds` gets an entry per write: its rounds, and whether it put an event row.
 */
export function inRounds(inner: Store, rounds: { rounds: number; events: boolean }[]): Store {
  return wrappedWrites(inner, (tx) => {
    const entry = { rounds: 0, events: false };
    rounds.push(entry);
    let open: (() => void)[] | undefined;
    const answered = <T>(request: Promise<T>): Promise<T> => {
      if (!open) {
        const round: (() => void)[] = [];
        open = round;
        entry.rounds++;
        setImmediate(() => {
          open = undefined;
          for (const answer of round) answer();
        });
      }
      const turn = new Promise<void>((resolve) => open!.push(resolve));
      return Promise.all([request, turn]).then(([value]) => value);
    };
    const read: ReadTx = {
      get: (table, key) => answered(tx.get(table, key)),
      query: (table, query) => answered(tx.query(table, query)),
      count: (table, query) => answered(tx.count(table, query)),
    };
    return {
      ...read,
      put: (table, row) => {
        if (table === EVENTS) entry.events = true;
        return answered(tx.put(table, row));
      },
      putAll: (table, rows) => answered(tx.putAll(table, rows)),
      add: (table, row) => {
        if (table === EVENTS) entry.events = true;
        return answered(tx.add(table, row));
      },
      delete: (table, key) => answered(tx.delete(table, key)),
      deleteWhere: (table, query) => answered(tx.deleteWhere(table, query)),
    };
  });
}
