// Shared schema, rows and store lifecycle for the storage conformance suite.

import type { Row, SchemaVersion, Store, StoreFactory } from '../../../../src/core/storage/port.ts';

export const V1: SchemaVersion = {
  version: 1,
  tables: {
    kv: { key: 'k' },
    events: {
      key: 'eventId',
      indexes: { byRoomDepth: ['roomId', 'depth'], bySender: 'sender', byType: 'content.type' },
    },
    stream: { key: 'pos', autoIncrement: true, indexes: { byRoom: ['roomId', 'pos'] } },
    members: { key: ['roomId', 'userId'], indexes: { byUser: 'userId' } },
    tagged: { key: 'id', indexes: { byTag: { path: 'tags', multiEntry: true }, byKind: 'kind' } },
  },
};

export interface Harness {
  /** Opens a store under a fresh name (or the given one, to reopen it). */
  open(versions?: readonly SchemaVersion[], name?: string): Promise<Store>;
  /** A fresh store name. */
  name(): string;
  /** Runs fn over a fresh store, closing it afterwards. */
  withStore<T>(fn: (store: Store) => Promise<T>, versions?: readonly SchemaVersion[]): Promise<T>;
  /** Whether a store reopened by name after close still has its data. */
  readonly durable: boolean;
}

let counter = 0;

export function harness(factory: StoreFactory, durable: boolean): Harness {
  const name = () => `conformance-${process.pid}-${++counter}`;
  const open = (versions: readonly SchemaVersion[] = [V1], given?: string) =>
    factory(given ?? name(), versions);
  return {
    open,
    name,
    durable,
    async withStore(fn, versions) {
      const store = await open(versions);
      try {
        return await fn(store);
      } finally {
        await store.close();
      }
    },
  };
}

export interface EventRow extends Row {
  eventId: string;
  roomId: string;
  depth: number;
  sender?: string;
  content: { type?: string };
}

export function event(
  eventId: string,
  roomId: string,
  depth: number,
  sender?: string,
  type?: string,
): EventRow {
  return { eventId, roomId, depth, ...(sender ? { sender } : {}), content: type ? { type } : {} };
}

/** Room !a has depths 1..5, room !b depths 1..3; senders alternate; only some rows have content.type. */
export const EVENTS: readonly EventRow[] = [
  event('$a1', '!a', 1, '@x', 'm.room.create'),
  event('$a2', '!a', 2, '@y'),
  event('$a3', '!a', 3, '@x', 'm.room.message'),
  event('$a4', '!a', 4, '@y'),
  event('$a5', '!a', 5, '@x', 'm.room.message'),
  event('$b1', '!b', 1, '@y', 'm.room.create'),
  event('$b2', '!b', 2),
  event('$b3', '!b', 3, '@x'),
];

export async function withEvents<T>(h: Harness, fn: (store: Store) => Promise<T>): Promise<T> {
  return h.withStore(async (store) => {
    // Inserted out of order, so results cannot just echo insertion order.
    await store.write(['events'], async (tx) => {
      for (const row of [...EVENTS].reverse()) await tx.put('events', row);
    });
    return fn(store);
  });
}

export const ids = (rows: readonly Row[]) => rows.map((row) => row.eventId);
