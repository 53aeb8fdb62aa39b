import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openSqliteStore, sqliteStoreFactory } from '../../../src/node/storage/sqlite-store.ts';
import { V1 } from '../../core/storage/conformance/fixtures.ts';
import { runStoreConformance } from '../../core/storage/store-conformance.ts';

const dir = mkdtempSync(join(tmpdir(), 'sqlite-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

runStoreConformance('SQLite file', sqliteStoreFactory(dir));
runStoreConformance('SQLite :memory:', (_name, versions) => openSqliteStore(':memory:', versions), {
  durable: false,
});

test('a transaction opened and awaited inside another is refused, not deadlocked', async () => {
  const store = await openSqliteStore(':memory:', [V1]);
  try {
    await assert.rejects(
      store.write(['kv'], () => store.read(['kv'], (tx) => tx.count('kv'))),
      { name: 'NestedTransactionError' },
    );
  } finally {
    await store.close();
  }
});
