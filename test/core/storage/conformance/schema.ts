// Conformance: append-only schema versions, upgrades and reopening.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SchemaVersion } from '../../../../src/core/storage/port.ts';
import { EVENTS, type Harness, ids, V1 } from './fixtures.ts';

const V2: SchemaVersion = {
  version: 2,
  tables: {
    ...V1.tables,
    events: { ...V1.tables.events!, indexes: { ...V1.tables.events!.indexes, byDepth: 'depth' } },
    receipts: { key: ['roomId', 'userId'], indexes: { byEvent: 'eventId' } },
  },
};

/** Drops the stream table and the bySender index. */
const V3: SchemaVersion = {
  version: 3,
  tables: {
    kv: V2.tables.kv!,
    members: V2.tables.members!,
    receipts: V2.tables.receipts!,
    events: { key: 'eventId', indexes: { byRoomDepth: ['roomId', 'depth'], byDepth: 'depth' } },
  },
};

export function schemaTests(h: Harness): void {
  test('a new store opens at the highest version with every table usable', () =>
    h.withStore(
      async (store) => {
        await store.write(['receipts', 'kv'], async (tx) => {
          await tx.put('receipts', { roomId: '!a', userId: '@x', eventId: '$a1' });
          await tx.put('kv', { k: 'a' });
        });
        const rows = await store.read(['receipts'], (tx) =>
          tx.query('receipts', { index: 'byEvent', equals: '$a1' }),
        );
        assert.equal(rows.length, 1);
      },
      [V1, V2],
    ));

  test('bad version lists are rejected with VersionError', async () => {
    const reversed = h.open([V2, V1]);
    await assert.rejects(reversed, { name: 'VersionError' });
    const rekeyed = { version: 2, tables: { ...V1.tables, kv: { key: 'other' } } };
    await assert.rejects(h.open([V1, rekeyed]), { name: 'VersionError' });
    await assert.rejects(h.open([]), { name: 'VersionError' });
    // IndexedDB has no multiEntry index over a compound key path.
    const compound = { path: ['a', 'b'], multiEntry: true } as unknown as { path: string; multiEntry: true };
    const multi = { version: 1, tables: { ...V1.tables, kv: { key: 'k', indexes: { bad: compound } } } };
    await assert.rejects(h.open([multi]), { name: 'VersionError' });
  });

  if (!h.durable) return;

  test('a reopened store keeps its data', async () => {
    const name = h.name();
    const first = await h.open([V1], name);
    await first.write(['kv', 'stream'], async (tx) => {
      await tx.put('kv', { k: 'a', bytes: new Uint8Array([1, 2, 3]) });
      await tx.put('stream', { roomId: '!a' });
    });
    await first.close();
    const again = await h.open([V1], name);
    try {
      assert.deepEqual(await again.read(['kv'], (tx) => tx.get('kv', 'a')), {
        k: 'a',
        bytes: new Uint8Array([1, 2, 3]),
      });
      const next = await again.write(['stream'], (tx) => tx.put('stream', { roomId: '!a' }));
      assert.equal(next, 2, 'the key generator survives reopening');
    } finally {
      await again.close();
    }
  });

  test('upgrades add tables and indexes over existing rows, then drop them', async () => {
    const name = h.name();
    const v1 = await h.open([V1], name);
    await v1.write(['events', 'stream'], async (tx) => {
      for (const row of EVENTS) await tx.put('events', row);
      await tx.put('stream', { roomId: '!a' });
    });
    await v1.close();

    const v2 = await h.open([V1, V2], name);
    const byDepth = await v2.read(['events'], (tx) => tx.query('events', { index: 'byDepth', equals: 3 }));
    assert.deepEqual(ids(byDepth), ['$a3', '$b3'], 'the new index covers rows written before it');
    await v2.write(['receipts'], (tx) => tx.put('receipts', { roomId: '!a', userId: '@x', eventId: '$a5' }));
    await v2.close();

    const v3 = await h.open([V1, V2, V3], name);
    try {
      assert.equal(await v3.read(['events'], (tx) => tx.count('events')), EVENTS.length);
      assert.equal(await v3.read(['receipts'], (tx) => tx.count('receipts')), 1);
      await assert.rejects(
        v3.read(['stream'], (tx) => tx.count('stream')),
        { name: 'NotFoundError' },
      );
      await assert.rejects(
        v3.read(['events'], (tx) => tx.query('events', { index: 'bySender' })),
        { name: 'NotFoundError' },
      );
    } finally {
      await v3.close();
    }
    // Reopened at the version it is at (Dexie is then given only that one, dexie-store.ts): the same layout.
    const reopened = await h.open([V1, V2, V3], name);
    try {
      assert.equal(await reopened.read(['events'], (tx) => tx.count('events')), EVENTS.length);
      const byDepth = await reopened.read(['events'], (tx) =>
        tx.query('events', { index: 'byDepth', equals: 3 }),
      );
      assert.deepEqual(ids(byDepth), ['$a3', '$b3']);
      await assert.rejects(
        reopened.read(['stream'], (tx) => tx.count('stream')),
        { name: 'NotFoundError' },
      );
    } finally {
      await reopened.close();
    }
  });

  test('an index added by an upgrade over a nested path covers exactly the rows that have a key there', async () => {
    const plain: SchemaVersion = { version: 1, tables: { notes: { key: 'id' } } };
    const indexed: SchemaVersion = {
      version: 2,
      tables: { notes: { key: 'id', indexes: { byKind: 'content.kind', byKindN: ['content.kind', 'n'] } } },
    };
    const name = h.name();
    const first = await h.open([plain], name);
    await first.write(['notes'], async (tx) => {
      await tx.put('notes', { id: 1, content: { kind: 'a' }, n: 1 });
      // The names only as values, or one step of the path without the other: no key.
      await tx.put('notes', { id: 2, note: 'kind', other: 'content', n: 5 });
      await tx.put('notes', { id: 3, content: { kind: 'b' }, n: 2 });
      await tx.put('notes', { id: 4, content: { sort: 'kind' } });
      await tx.put('notes', { id: 5, kind: 'c', n: 3 });
      await tx.put('notes', { id: 6, content: { kind: 'd' } });
    });
    await first.close();
    const second = await h.open([plain, indexed], name);
    try {
      const query = (index: string) =>
        second.read(['notes'], async (tx) => (await tx.query('notes', { index })).map((row) => row.id));
      assert.deepEqual(await query('byKind'), [1, 3, 6]);
      assert.deepEqual(await query('byKindN'), [1, 3]);
    } finally {
      await second.close();
    }
  });

  test('opening with an older version than the stored one is a VersionError', async () => {
    const name = h.name();
    await (await h.open([V1, V2], name)).close();
    await assert.rejects(h.open([V1], name), { name: 'VersionError' });
  });
}
