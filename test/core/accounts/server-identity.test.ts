import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { bootstrapIdentity } from '../../../src/core/accounts/server-identity.ts';
import { openDexieStore } from '../../../src/platform/dexie/dexie-store.ts';
import { SCHEMA } from '../../../src/core/schema.ts';
import { ed25519 } from '../../support/ed25519.ts';

test('the identity is created on first start, kept afterwards, and named by its public key', async () => {
  const name = `identity-${Date.now()}`;
  let calls = 0;
  const random = (n: number) => {
    calls++;
    return new Uint8Array(n).fill(calls);
  };
  const store = await openDexieStore(name, SCHEMA, { indexedDB, IDBKeyRange });
  const first = await bootstrapIdentity(store, random, ed25519);
  assert.match(first.serverName, /^[0-9a-f]{64}$/);
  assert.equal(first.serverName, Buffer.from(await ed25519.publicKey(first.seed)).toString('hex'));
  await store.close();

  const reopened = await openDexieStore(name, SCHEMA, { indexedDB, IDBKeyRange });
  const second = await bootstrapIdentity(reopened, random, ed25519);
  assert.equal(second.serverName, first.serverName);
  assert.deepEqual(second.seed, first.seed);
  await reopened.close();
});
