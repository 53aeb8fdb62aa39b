// The upgrade to schema version 11 (the search index inside the event rows)
// keeps the history searchable: a store written at version 10 (the tables of
// a homeserver with history, copied into a store opened with the version 10
// list, its event rows without entries, its old index table and its old
// walk's marker as version 10 left them) is reopened with the current
// schema, as an upgraded extension or `serve` opens it, and the re-index
// (rooms/search-reindex.ts) finds the old messages again, over both stores.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { reindexBatch, reindexSearch } from '../../../src/core/rooms/search-reindex.ts';
import { EVENTS, type EventRow, SEARCH_TERMS } from '../../../src/core/rooms/tables.ts';
import { SCHEMA } from '../../../src/core/schema.ts';
import { memoryBlobStore } from '../../../src/core/storage/memory-blob-store.ts';
import type { Row, Store } from '../../../src/core/storage/port.ts';
import { STREAM_TABLE } from '../../../src/core/storage/stream.ts';
import {
  type Credentials,
  createTestHomeserver,
  homeserverWithAliceAndBob,
  type Json,
  type TestHomeserver,
} from '../../support/hs-client.ts';
import { FakeClock } from '../sync/fake-clock.ts';
import { type Opener, storeKinds } from './store-kinds.ts';

const V3 = '/_matrix/client/v3';
const V10 = SCHEMA.filter((v) => v.version <= 10);

const KINDS = storeKinds('reindex');

interface History {
  /** The homeserver that wrote it, indexing live (still open: its rows are the expected index). */
  readonly source: TestHomeserver;
  readonly alice: Credentials;
  readonly redacted: string;
  /** The old messages' ids, by body. */
  readonly ids: ReadonlyMap<string, string>;
  readonly garden: string;
  readonly kitchen: string;
}

/** A homeserver with two rooms of messages, one message redacted. */
async function history(): Promise<History> {
  const { t: source, alice } = await homeserverWithAliceAndBob();
  let txn = 0;
  const room = async (name: string) =>
    (await source.request('POST', `${V3}/createRoom`, { name }, alice.accessToken)).body.room_id as string;
  const send = async (roomId: string, body: string) => {
    const path = `${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${++txn}`;
    const res = await source.request('PUT', path, { msgtype: 'm.text', body }, alice.accessToken);
    assert.equal(res.status, 200);
    return res.body.event_id as string;
  };
  const garden = await room('The Garden');
  const kitchen = await room('Kitchen');
  const ids = new Map<string, string>();
  for (let i = 0; i < 6; i++)
    ids.set(`old roses number ${i}`, await send(i % 2 ? garden : kitchen, `old roses number ${i}`));
  const redacted = await send(garden, 'old roses to forget');
  const path = `${V3}/rooms/${encodeURIComponent(garden)}/redact/${encodeURIComponent(redacted)}/r${++txn}`;
  assert.equal((await source.request('PUT', path, {}, alice.accessToken)).status, 200);
  return { source, alice, redacted, ids, garden, kitchen };
}

/**
 * Writes the history's tables into a store opened at version 10: the store
 * as the last release left it (event rows without `search`, the old walk
 * done, a row of the old index table, which the upgrade drops).
 */
async function writeAtVersion10(
  source: Store,
  open: Opener,
  oldMarker: Row = { name: 'search_reindex', upto: 3, after: 3, done: true },
): Promise<void> {
  const old = await open(V10);
  const tables = V10.at(-1)?.tables ?? {};
  const current = SCHEMA.at(-1)?.tables ?? {};
  for (const [name, spec] of Object.entries(tables)) {
    if (!(name in current)) continue;
    let rows = await source.read([name], (tx) => tx.query<Row>(name));
    if (name === EVENTS) rows = rows.map(({ search: _, ...row }) => row);
    if (name === STREAM_TABLE) {
      rows = rows.filter((row) => row.name !== 'search_rows');
      rows.push(oldMarker);
    }
    await old.write([name], async (tx) => {
      if (spec.autoIncrement) for (const row of rows) await tx.put(name, row);
      else await tx.putAll(name, rows);
    });
  }
  await old.write([SEARCH_TERMS], (tx) => tx.put(SEARCH_TERMS, { r: 1, t: 'roses', s: 5 }));
  await old.close();
}

/**
 * The history written into a store of `kind` at version 10 (its source
 * closed), the index placing it live wrote, and the store's opener at the
 * current version, as a homeserver upgrading it takes it.
 */
async function upgradedHistory(kind: (typeof KINDS)[number], oldMarker?: Row) {
  const { source, ...rest } = await history();
  const open = kind.place();
  await writeAtVersion10(source.store, open, oldMarker);
  const expected = await searchRows(source.store);
  await source.close();
  const stores = async () => ({ store: await open(SCHEMA), blobs: memoryBlobStore() });
  return { ...rest, expected, stores };
}

/** Each indexed event's id and entries, in the index's order of its first entry. */
const searchRows = (store: Store) =>
  store.read([EVENTS], async (tx) => {
    const rows = await tx.query<EventRow>(EVENTS, { index: 'search' });
    return [...new Map(rows.map((row) => [row.event_id, row.search])).entries()].sort();
  });

async function search(t: TestHomeserver, who: Credentials, term: string): Promise<Json> {
  const body = { search_categories: { room_events: { search_term: term, order_by: 'recent' } } };
  const res = await t.request('POST', `${V3}/search`, body, who.accessToken);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.search_categories.room_events;
}

const bodies = (found: Json): string[] => found.results.map((r: Json) => r.result.content.body).sort();
const OLD = [0, 1, 2, 3, 4, 5].map((i) => `old roses number ${i}`);

for (const kind of KINDS) {
  describe(`search after the upgrade to the new index, ${kind.name}`, () => {
    test('the homeserver re-indexes the history it was upgraded with, redactions left out', async () => {
      const { alice, redacted, expected, stores } = await upgradedHistory(kind);
      const t = await createTestHomeserver({ stores });
      try {
        await t.hs.searchReindexed;
        const found = await search(t, alice, 'roses');
        assert.deepEqual(bodies(found), OLD);
        assert.ok(!found.results.some((r: Json) => r.result.event_id === redacted));
        assert.deepEqual(await searchRows(t.store), expected, 'the entries placing wrote, no more, no fewer');
        await assert.rejects(
          t.store.read([SEARCH_TERMS], (tx) => tx.count(SEARCH_TERMS)),
          { name: 'NotFoundError' },
          'the old index table is dropped',
        );
        const path = `${V3}/rooms/${encodeURIComponent(found.results[0].result.room_id)}/send/m.room.message/new`;
        await t.request('PUT', path, { msgtype: 'm.text', body: 'new roses' }, alice.accessToken);
        assert.deepEqual(bodies(await search(t, alice, 'roses')), [...OLD, 'new roses'].sort());
      } finally {
        await t.close();
      }
    });

    test('a re-index stopped mid-way resumes after its last batch', async () => {
      const { alice, expected, stores } = await upgradedHistory(kind);
      // A clock that never moves: the homeserver's own run never starts, the test drives the batches.
      const first = await createTestHomeserver({ clock: new FakeClock(), stores });
      assert.equal(await reindexBatch(first.store, 8), false);
      const part = await searchRows(first.store);
      assert.ok(part.length > 0 && part.length < expected.length, `${part.length} of ${expected.length}`);
      await first.close();

      const second = await createTestHomeserver({ clock: new FakeClock(), stores });
      try {
        let batches = 0;
        await reindexSearch(
          second.store,
          () => false,
          async () => {
            batches++;
          },
          8,
        );
        assert.ok(batches > 0);
        assert.deepEqual(await searchRows(second.store), expected);
        assert.deepEqual(bodies(await search(second, alice, 'roses')), OLD);
        assert.equal(await reindexBatch(second.store, 8), true, 'done stays done');
      } finally {
        await second.close();
      }
    });

    test('a redaction and a thread reply placed before the walk reaches their old events', async () => {
      const { alice, ids, garden, kitchen, stores } = await upgradedHistory(kind);
      const t = await createTestHomeserver({ clock: new FakeClock(), stores });
      try {
        const forgotten = ids.get('old roses number 0')!;
        const redact = `${V3}/rooms/${encodeURIComponent(kitchen)}/redact/${encodeURIComponent(forgotten)}/late`;
        assert.equal((await t.request('PUT', redact, {}, alice.accessToken)).status, 200);
        const root = ids.get('old roses number 1')!;
        const reply = {
          msgtype: 'm.text',
          body: 'a thread about tulips',
          'm.relates_to': { rel_type: 'm.thread', event_id: root },
        };
        const send = `${V3}/rooms/${encodeURIComponent(garden)}/send/m.room.message/reply`;
        assert.equal((await t.request('PUT', send, reply, alice.accessToken)).status, 200);

        await reindexSearch(
          t.store,
          () => false,
          async () => {},
        );
        assert.deepEqual(bodies(await search(t, alice, 'roses')), OLD.slice(1));
        assert.deepEqual(bodies(await search(t, alice, 'tulips')), ['a thread about tulips']);
        const rootRow = await t.store.read([EVENTS], (tx) => tx.get<EventRow>(EVENTS, root));
        assert.equal(rootRow?.thread_root, true, 'the root stays marked');
        assert.ok(
          rootRow?.search?.some(([, term]) => term === 'roses'),
          'and has its entries',
        );
        const forgottenRow = await t.store.read([EVENTS], (tx) => tx.get<EventRow>(EVENTS, forgotten));
        assert.equal(forgottenRow?.search, undefined);
      } finally {
        await t.close();
      }
    });

    test('a store whose version 9 walk was half done when it was upgraded: the whole history is found', async () => {
      const marker = { name: 'search_reindex', upto: 20, after: 5 };
      const { alice, expected, stores } = await upgradedHistory(kind, marker);
      const t = await createTestHomeserver({ stores });
      try {
        await t.hs.searchReindexed;
        assert.deepEqual(bodies(await search(t, alice, 'roses')), OLD);
        assert.deepEqual(await searchRows(t.store), expected);
        const markers = await t.store.read([STREAM_TABLE], (tx) => tx.query<Row>(STREAM_TABLE));
        assert.ok(!markers.some((row) => row.name === 'search_reindex'), 'the old marker is gone');
      } finally {
        await t.close();
      }
    });
  });
}
