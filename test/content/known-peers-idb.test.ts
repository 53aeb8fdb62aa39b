// The offscreen document's IndexedDB store of known peers; here because this folder is typechecked with the DOM's types.
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { indexedDbKnownPeers } from '../../background/offscreen/known-peers-idb.ts';

const name = (i: number) => i.toString(16).padStart(64, '0');

test('the remembered peers are capped at 1,024, the oldest forgotten first, and listed oldest first', async () => {
  const store = indexedDbKnownPeers(`known-peers-cap-${Date.now()}`);
  for (let i = 0; i < 1030; i++)
    await store.save({ serverName: name(i), addrs: [`/ip4/127.0.0.1/tcp/${i}`] });
  const peers = await store.load();
  assert.equal(peers.length, 1024);
  assert.equal(peers[0]?.serverName, name(6));
  assert.equal(peers.at(-1)?.serverName, name(1029));
  // Saved again, an old peer becomes the newest.
  await store.save({ serverName: name(6), addrs: [] });
  assert.equal((await store.load()).at(-1)?.serverName, name(6));
});
